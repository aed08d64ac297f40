/**
 * Safe downloads from a hub (a local fake that answers as huggingface.co does, see test/support/fake-hub.ts): a
 * transfer cut mid-file leaves no file that counts as present and resumes with a Range request; bytes that do not
 * match the hub's SHA-256 are discarded; split external data (`*.onnx_data`, `*.onnx_data_1`) is found from the
 * graph's references and fetched, and the engine runs the result.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { WHISPER_MANIFEST } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import { HubSource } from '../../../gpu-runners/models/hub-source.ts';
import { LayeredModelStore, missingFiles } from '../../../gpu-runners/models/model-store.ts';
import { externalDataFiles } from '../../../gpu-runners/models/onnx-external-data.ts';
import { whisperFixture } from '../../fixtures/whisper/write-model.ts';
import { startFakeHub } from '../../support/fake-hub.ts';

const NAME = 'earshot-test/whisper-tiny-random';
const tmp = mkdtempSync(join(tmpdir(), 'earshot-downloads-'));
let n = 0;
const fresh = (label: string) => join(tmp, `${label}-${n++}`);
const plain = whisperFixture('tiny-random');
// Weights beside the graphs, split every 64 KiB as exports past 2 GiB are split every 2 GiB.
const split = whisperFixture('tiny-random', { externalDataChunkBytes: 64 * 1024 });
const storeFor = (hubUrl: string, modelDir = fresh('models')) =>
  new LayeredModelStore({ modelDir, hfCacheDir: fresh('hf'), remotes: [new HubSource({ baseUrl: hubUrl })] });

describe('model downloads', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a transfer cut mid-file counts as absent, and the next start resumes it with a Range request', async () => {
    const hub = await startFakeHub({ [NAME]: plain });
    const file = 'onnx/decoder_model_merged.onnx';
    const size = statSync(join(plain, file)).size;
    const cut = Math.floor(size / 3);
    hub.cutNext(file, cut);
    const modelDir = fresh('models');
    const store = storeFor(hub.url, modelDir);
    const error = await store.resolve(NAME, WHISPER_MANIFEST).then(
      () => undefined,
      (e: Error) => e,
    );
    // fetch may drop the last bytes it buffered when the connection ends early: the kept part is what it reports.
    const kept = Number(
      new RegExp(`${file}: download interrupted after (\\d+) of ${size} bytes[^;]*; run again to resume`).exec(
        error?.message ?? '',
      )?.[1],
    );
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    const own = join(modelDir, NAME);
    expect(existsSync(join(own, file))).toBe(false);
    expect(statSync(join(own, `${file}.incomplete`)).size).toBe(kept);
    expect(store.findLocal(NAME, WHISPER_MANIFEST)).toBeUndefined();
    expect(missingFiles(own, WHISPER_MANIFEST)).toContain(file);

    const sentBefore = hub.bytesSent;
    const dir = await storeFor(hub.url, modelDir).resolve(NAME, WHISPER_MANIFEST);
    expect(readFileSync(join(dir, file)).equals(readFileSync(join(plain, file)))).toBe(true);
    expect(
      hub.requests.filter((r) => r.method === 'GET' && r.range && r.path.startsWith('/cdn/')).map((r) => r.range),
    ).toEqual([`bytes=${kept}-`]);
    // The cut file sent only its rest; files finished before the cut were not fetched again.
    const notYetFetched = statSync(join(plain, 'onnx/encoder_model.onnx')).size;
    expect(hub.bytesSent - sentBefore).toBeLessThanOrEqual(size - kept + notYetFetched);
    expect(existsSync(join(own, `${file}.incomplete`))).toBe(false);
    await hub.close();
  });

  it("bytes that do not match the hub's SHA-256 are discarded, never kept as the model", async () => {
    const hub = await startFakeHub({ [NAME]: plain });
    const file = 'onnx/encoder_model.onnx';
    const bytes = Buffer.from(readFileSync(join(plain, file)));
    bytes[bytes.length >> 1]! ^= 0xff;
    hub.corrupt(file, bytes);
    const modelDir = fresh('models');
    await expect(storeFor(hub.url, modelDir).resolve(NAME, WHISPER_MANIFEST)).rejects.toThrow(
      /onnx\/encoder_model\.onnx: sha256 [0-9a-f]{64} does not match the source's [0-9a-f]{64}; the download was discarded/,
    );
    expect(existsSync(join(modelDir, NAME, file))).toBe(false);
    expect(existsSync(join(modelDir, NAME, `${file}.incomplete`))).toBe(false);
    // Small files are checked against their git blob SHA-1 ETag the same way.
    const config = Buffer.from(readFileSync(join(plain, 'config.json')));
    config[10]! ^= 1;
    hub.corrupt('config.json', config);
    await expect(storeFor(hub.url).resolve(NAME, WHISPER_MANIFEST)).rejects.toThrow(
      /config\.json: git blob sha1 [0-9a-f]{40} does not match/,
    );
    await hub.close();
  });

  it('split external data is found from the graph and fetched; the engine runs the model', async () => {
    expect(externalDataFiles(join(split, 'onnx/decoder_model_merged.onnx')).length).toBeGreaterThan(1);
    const hub = await startFakeHub({ [NAME]: split });
    const store = storeFor(hub.url);
    const dir = await store.resolve(NAME, WHISPER_MANIFEST);
    const data = readdirSync(join(dir, 'onnx'))
      .filter((f) => f.includes('.onnx_data'))
      .sort();
    expect(data).toContain('decoder_model_merged.onnx_data');
    expect(data).toContain('decoder_model_merged.onnx_data_1');
    expect(data).toEqual(
      readdirSync(join(split, 'onnx'))
        .filter((f) => f.includes('.onnx_data'))
        .sort(),
    );
    const engine = new WhisperOnnxEngine({
      model: NAME,
      store,
      whisper: { language: 'en', temperatures: [0], maxNewTokens: 8 },
    });
    await engine.load();
    const [result] = await engine.transcribe([{ id: 'a', pcm: new Int16Array(16000), partial: false }]);
    expect(result!.id).toBe('a');
    await engine.close();
    // A local copy missing one piece is not complete.
    rmSync(join(dir, 'onnx/decoder_model_merged.onnx_data_1'));
    expect(missingFiles(dir, WHISPER_MANIFEST)).toEqual(['onnx/decoder_model_merged.onnx_data_1']);
    await hub.close();
  });
});
