/**
 * The model store: a name or directory becomes a local directory, from a directory, earshot's model dir, the
 * Hugging Face cache, an S3 bucket (a real S3-protocol server, s3rver, on loopback) or a hub (a local HTTP server
 * in the hub's URL layout), with a progress bar while downloading; offline, a clear error naming every way.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { WHISPER_MANIFEST } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import { HubSource } from '../../../gpu-runners/models/hub-source.ts';
import { LayeredModelStore } from '../../../gpu-runners/models/model-store.ts';
import { stderrProgressBar } from '../../../gpu-runners/models/progress.ts';
import { S3Source } from '../../../gpu-runners/models/s3-source.ts';
import { modelStoreFromConfig } from '../../../gpu-runners/models/store-from-config.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { whisperFixture } from '../../fixtures/whisper/write-model.ts';

const NAME = 'earshot-test/whisper-tiny-random';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const tmp = mkdtempSync(join(tmpdir(), 'earshot-models-'));
const fixture = whisperFixture('tiny-random');
const modelFiles = readdirSync(fixture, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && !e.name.startsWith('.'))
  .map((e) => join(e.parentPath, e.name).slice(fixture.length + 1));
let n = 0;
const fresh = (label: string) => join(tmp, `${label}-${n++}`);

/** A hub on loopback: `/<org>/<name>/resolve/main/<file>`, counting requests. */
function startHub(root: string): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/(.+?\/.+?)\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    try {
      if (!match || match[1] !== NAME) throw new Error('no such model');
      const body = readFileSync(join(root, match[2]!));
      res.writeHead(200, { 'content-length': body.byteLength });
      // Two chunks, so a progress bar has something in between.
      res.write(body.subarray(0, body.byteLength >> 1));
      setTimeout(() => res.end(body.subarray(body.byteLength >> 1)), 5);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }),
    ),
  );
}

class FakeTty extends Writable {
  isTTY = true;
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('model store', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('uses a directory as it is, and names the files a directory lacks', async () => {
    const store = new LayeredModelStore({ modelDir: fresh('empty') });
    expect(await store.resolve(fixture, WHISPER_MANIFEST)).toBe(fixture);
    const partial = fresh('partial');
    cpSync(fixture, partial, { recursive: true });
    rmSync(join(partial, 'onnx/decoder_model_merged.onnx'));
    await expect(store.resolve(partial, WHISPER_MANIFEST)).rejects.toThrow(/lacks onnx\/decoder_model_merged\.onnx/);
  });

  it("finds a model by name in earshot's model dir and in the Hugging Face cache layout", async () => {
    const modelDir = fresh('models');
    cpSync(fixture, join(modelDir, NAME), { recursive: true });
    expect(await new LayeredModelStore({ modelDir }).resolve(NAME, WHISPER_MANIFEST)).toBe(join(modelDir, NAME));

    const hf = fresh('hf');
    const repo = join(hf, 'models--earshot-test--whisper-tiny-random');
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs/main'), 'abc123\n');
    cpSync(fixture, join(repo, 'snapshots/abc123'), { recursive: true });
    cpSync(fixture, join(repo, 'snapshots/old456'), { recursive: true });
    const store = new LayeredModelStore({ modelDir: fresh('models'), hfCacheDir: hf });
    expect(await store.resolve(NAME, WHISPER_MANIFEST)).toBe(join(repo, 'snapshots/abc123'));
  });

  describe('S3 (s3rver on loopback)', () => {
    let s3: S3rver;
    let endpoint: string;
    beforeAll(async () => {
      s3 = new S3rver({
        address: '127.0.0.1',
        port: 0,
        directory: fresh('s3'),
        silent: true,
        configureBuckets: [{ name: 'models' }],
      });
      const { port } = await s3.run();
      endpoint = `http://127.0.0.1:${port}`;
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
      for (const file of modelFiles)
        await client.send(
          new PutObjectCommand({
            Bucket: 'models',
            Key: `fleet/${NAME}/${file}`,
            Body: readFileSync(join(fixture, file)),
          }),
        );
      client.destroy();
    });
    afterAll(async () => s3?.close());

    it('downloads a model from a bucket into the model dir, and the engine runs it', async () => {
      const modelDir = fresh('models');
      const source = new S3Source({ url: 's3://models/fleet', endpoint, credentials: CREDENTIALS });
      const store = new LayeredModelStore({ modelDir, hfCacheDir: fresh('hf'), remotes: [source] });
      const dir = await store.resolve(NAME, WHISPER_MANIFEST);
      expect(dir).toBe(join(modelDir, NAME));
      for (const file of modelFiles)
        expect(readFileSync(join(dir, file)).equals(readFileSync(join(fixture, file)))).toBe(true);
      const engine = new WhisperOnnxEngine({
        model: NAME,
        store,
        whisper: { language: 'en', temperatures: [0], maxNewTokens: 8 },
      });
      await engine.load();
      const [result] = await engine.transcribe([{ id: 'a', pcm: new Int16Array(16000), partial: false }]);
      expect(result!.id).toBe('a');
      await engine.close();
      source.close();
    });

    it('moves on to the next source when the bucket lacks the model', async () => {
      const hub = await startHub(fixture);
      const store = new LayeredModelStore({
        modelDir: fresh('models'),
        hfCacheDir: fresh('hf'),
        remotes: [
          new S3Source({ url: 's3://models/elsewhere', endpoint, credentials: CREDENTIALS }),
          new HubSource({ baseUrl: hub.url }),
        ],
      });
      expect(await store.resolve(NAME, WHISPER_MANIFEST)).toMatch(/whisper-tiny-random$/);
      expect(hub.requests.length).toBeGreaterThanOrEqual(WHISPER_MANIFEST.required.length);
      hub.server.close();
    });
  });

  it('downloads from a hub with a progress bar on the terminal, once', async () => {
    const hub = await startHub(fixture);
    const tty = new FakeTty();
    const modelDir = fresh('models');
    const store = new LayeredModelStore({
      modelDir,
      hfCacheDir: fresh('hf'),
      remotes: [new HubSource({ baseUrl: hub.url })],
      progress: stderrProgressBar(tty, 0),
    });
    const dir = await store.resolve(NAME, WHISPER_MANIFEST);
    expect(
      readFileSync(join(dir, 'onnx/decoder_model_merged.onnx')).equals(
        readFileSync(join(fixture, 'onnx/decoder_model_merged.onnx')),
      ),
    ).toBe(true);
    expect(tty.text).toMatch(/onnx\/decoder_model_merged\.onnx \[#{30}\] 100% [\d.]+ [KM]iB \/ [\d.]+ [KM]iB\n/);
    expect(tty.text).toMatch(/\r\x1b\[2Konnx\/encoder_model\.onnx \[#*\.+\]/); // redrawn in place mid-download
    const asked = hub.requests.length;
    await store.resolve(NAME, WHISPER_MANIFEST);
    expect(hub.requests.length).toBe(asked); // the second start finds the downloaded copy
    hub.server.close();
  });

  it('offline with no copy: an error that names every way to provide the model', async () => {
    const config = { modelDir: fresh('models'), modelS3: '', modelHub: '' };
    const offline = modelStoreFromConfig(config, silentLogger, {}, () => {});
    const error = await offline.resolve('onnx-community/whisper-base', WHISPER_MANIFEST).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ code: 'engine_unavailable' });
    const message = error!.message;
    for (const way of [
      '--model /models/whisper-base',
      'EARSHOT_MODEL_DIR/onnx-community/whisper-base',
      'HF_HOME',
      'huggingface-cli download onnx-community/whisper-base',
      'EARSHOT_MODEL_S3=s3://bucket/prefix',
      'EARSHOT_MODEL_HUB',
    ]) {
      expect(message).toContain(way);
    }
    // A hub that cannot be reached gives the same guidance, with the reason.
    const unreachable = modelStoreFromConfig({ ...config, modelHub: 'http://127.0.0.1:9' }, silentLogger, {}, () => {});
    await expect(unreachable.resolve('onnx-community/whisper-base', WHISPER_MANIFEST)).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:9[\s\S]*EARSHOT_MODEL_S3/,
    );
  });
});
