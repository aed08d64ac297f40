/**
 * An empty hub setting (`EARSHOT_MODEL_HUB=`, `--model-hub ''`) is offline: resolving a model that is nowhere on
 * disk fails with the guidance error and no connection is even attempted (every fetch, http request and TCP socket
 * the process starts is watched). The default hub, by contrast, is asked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { WHISPER_MANIFEST } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import { modelStoreFromConfig } from '../../../gpu-runners/models/store-from-config.ts';
import { loadConfig } from '../../../shared/config.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { watchNetwork } from '../../support/network-watch.ts';

const tmp = mkdtempSync(join(tmpdir(), 'earshot-offline-'));
const env = { EARSHOT_MODEL_DIR: join(tmp, 'models'), HF_HUB_CACHE: join(tmp, 'hf') };

async function attemptsWhileResolving(
  config: ReturnType<typeof loadConfig>,
): Promise<{ attempts: string[]; error: Error }> {
  const watch = watchNetwork();
  try {
    const store = modelStoreFromConfig(config, silentLogger, env, () => {});
    const error = await store.resolve('onnx-community/whisper-base', WHISPER_MANIFEST).then(
      () => new Error('resolved'),
      (e: Error) => e,
    );
    return { attempts: [...watch.attempts], error };
  } finally {
    watch.stop();
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('empty model hub = offline', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("EARSHOT_MODEL_HUB= and --model-hub '' turn the hub off (the default stays huggingface.co)", () => {
    expect(loadConfig({}).modelHub).toBe('https://huggingface.co');
    expect(loadConfig({ EARSHOT_MODEL_HUB: '' }).modelHub).toBe('');
    expect(loadConfig({ EARSHOT_MODEL_HUB: 'https://mirror.example' }, { 'model-hub': '' }).modelHub).toBe('');
  });

  it('a missing model fails with the guidance error and no request leaves the process', async () => {
    for (const config of [loadConfig({ ...env, EARSHOT_MODEL_HUB: '' }), loadConfig(env, { 'model-hub': '' })]) {
      const { attempts, error } = await attemptsWhileResolving(config);
      expect(error).toMatchObject({ code: 'engine_unavailable' });
      expect(error.message).toMatch(/is not available on this machine[\s\S]*EARSHOT_MODEL_HUB/);
      expect(attempts).toEqual([]);
    }
  });

  it('the watch sees a hub request when a hub is set (it would catch a leak)', async () => {
    // A closed loopback port: the attempt is made and refused, nothing leaves this machine.
    const port = await closedPort();
    const { attempts, error } = await attemptsWhileResolving(
      loadConfig({ ...env, EARSHOT_MODEL_HUB: `http://127.0.0.1:${port}` }),
    );
    expect(error.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED/);
    expect(attempts).toContain(`fetch http://127.0.0.1:${port}/onnx-community/whisper-base/resolve/main/config.json`);
  });
});
