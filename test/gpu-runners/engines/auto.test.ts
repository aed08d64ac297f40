/**
 * `auto` engines at start: offline (empty hub) they are sphinx and apertium at once, with no request leaving the
 * process; a hub that never answers costs at most the probe time; a hub that has the models (a local fake answering
 * as huggingface.co does) gets them downloaded and Whisper and NLLB chosen, and the next start finds them on disk.
 * One log line says what was chosen, why, and how to get the better engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAutoEngines } from '../../../gpu-runners/engines/auto.ts';
import { loadConfig } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import { nllbFixture } from '../../fixtures/models/nllb-fixture.ts';
import { whisperFixture } from '../../fixtures/whisper/write-model.ts';
import { startFakeHub } from '../../support/fake-hub.ts';
import { watchNetwork } from '../../support/network-watch.ts';

const tmp = mkdtempSync(join(tmpdir(), 'earshot-auto-'));
let n = 0;
const fresh = () => join(tmp, `models-${n++}`);
const env = { HF_HUB_CACHE: join(tmp, 'hf') };

/** A logger whose lines the test reads. */
function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => ((text += chunk.toString()), done()) });
  const all = () =>
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  // The choice is one line; the model store adds its own (downloading, resolved).
  return {
    logger: pino({ level: 'info' }, sink),
    lines: () => all().filter((l) => String(l.msg).startsWith('auto engines')),
  };
}

describe('auto engines', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('offline (empty hub): sphinx and apertium, no request made, one line with the reason and the way to Whisper', async () => {
    const { logger, lines } = capture();
    const watch = watchNetwork();
    const config = await resolveAutoEngines(
      loadConfig({ ...env, EARSHOT_MODEL_HUB: '', EARSHOT_MODEL_DIR: fresh() }),
      logger,
      { env },
    );
    watch.stop();
    expect(watch.attempts).toEqual([]);
    expect(config).toMatchObject({ stt: 'sphinx', mt: 'apertium' });
    const [line, ...rest] = lines();
    expect(rest).toEqual([]);
    expect(line!.msg).toMatch(
      /^auto engines: stt: sphinx, the model is not on disk and EARSHOT_MODEL_HUB is empty \(offline\); for Whisper, run `earshot models pull onnx-community\/whisper-small`/,
    );
    expect(line!.msg).toMatch(/mt: apertium, .*`earshot models pull Xenova\/nllb-200-distilled-600M`/);
  });

  it('a hub that never answers: the probe gives up after --hub-probe-ms and the start goes on offline', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hub = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const { logger, lines } = capture();
    const started = performance.now();
    const config = await resolveAutoEngines(
      loadConfig({ ...env, EARSHOT_MODEL_HUB: hub, EARSHOT_MODEL_DIR: fresh(), EARSHOT_HUB_PROBE_MS: '300' }),
      logger,
      { env },
    );
    expect(config).toMatchObject({ stt: 'sphinx', mt: 'apertium' });
    expect(lines()[0]!.msg).toContain(`${hub} unreachable (no answer within 300 ms)`);
    expect(performance.now() - started).toBeLessThan(10_000); // two probes, not a hang
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it('a hub with the models: downloaded with progress, Whisper and NLLB chosen; the next start finds them on disk', async () => {
    const hub = await startFakeHub({
      'earshot-test/whisper': whisperFixture('tiny-random', { variants: ['q8'] }),
      'earshot-test/nllb': nllbFixture('nllb-tiny'),
    });
    const modelDir = fresh();
    const settings = {
      ...env,
      EARSHOT_MODEL_HUB: hub.url,
      EARSHOT_MODEL_DIR: modelDir,
      EARSHOT_STT_MODEL: 'earshot-test/whisper',
      EARSHOT_MT_MODEL: 'earshot-test/nllb',
    };
    const files: string[] = [];
    const { logger, lines } = capture();
    const config = await resolveAutoEngines(loadConfig(settings), logger, {
      env,
      progress: (e) => e.done && files.push(e.file),
    });
    expect(config).toMatchObject({ stt: 'whisper-onnx', mt: 'nllb-onnx' });
    expect(files).toContain('onnx/encoder_model_quantized.onnx'); // the CPU default dtype where the export has it
    expect(files).toContain('onnx/decoder_model_merged.onnx'); // the NLLB fixture has fp32 only
    expect(lines()[0]!.msg).toMatch(
      /stt: whisper-onnx \(earshot-test\/whisper\), downloaded \(q8\) into .* \| mt: nllb-onnx \(earshot-test\/nllb\), downloaded \(fp32\)/,
    );
    await hub.close();
    const again = capture();
    const offline = await resolveAutoEngines(loadConfig({ ...settings, EARSHOT_MODEL_HUB: '' }), again.logger, { env });
    expect(offline).toMatchObject({ stt: 'whisper-onnx', mt: 'nllb-onnx' });
    expect(again.lines()[0]!.msg).toMatch(/stt: whisper-onnx \(earshot-test\/whisper\), found on disk \(q8\)/);
  });

  it('explicit engines are left alone and nothing is logged', async () => {
    const { logger, lines } = capture();
    const config = await resolveAutoEngines(loadConfig({ ...env, EARSHOT_STT: 'sphinx', EARSHOT_MT: 'none' }), logger, {
      env,
    });
    expect(config).toMatchObject({ stt: 'sphinx', mt: 'none' });
    expect(lines()).toEqual([]);
  });
});
