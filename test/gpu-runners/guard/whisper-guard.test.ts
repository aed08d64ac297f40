/**
 * The guard on whisper-onnx through the STT runner, with generated random-weight models: silence the engine's own
 * no-speech rule drops is counted as `no_speech` (telemetry, not a second judgement), and with that rule off in the
 * engine the runner's guard withholds the text itself from the no-speech probability the engine reports.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { Blocklist } from '../../../gpu-runners/guard/blocklist.ts';
import { HallucinationGuard } from '../../../gpu-runners/guard/hallucination-guard.ts';
import { speechMeter } from '../../../gpu-runners/guard/speech-meter.ts';
import { SttRunner } from '../../../gpu-runners/stt-runner.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { metrics } from '../../../shared/metrics.ts';
import type { SttJob } from '../../../shared/queue/jobs.ts';
import { MemoryQueue } from '../../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../../shared/queue/memory-result-log.ts';
import { engineFor, tinyModel } from '../whisper/support.ts';

const silence = new Int16Array(2 * 16000);
const noSpeechCount = async (kind: string) =>
  (await metrics.sttSuppressed.get()).values.find((v) => v.labels.reason === 'no_speech' && v.labels.kind === kind)
    ?.value ?? 0;

async function runFinal(engine: WhisperOnnxEngine, guard: HallucinationGuard | null): Promise<string> {
  const queue = new MemoryQueue<SttJob>();
  const results = new MemoryResultLog();
  const runner = new SttRunner({
    queue,
    mtQueue: null,
    results,
    engine,
    logger: silentLogger,
    batchSize: 4,
    maxWaitMs: 0,
    defaultLanguage: 'en',
    guard,
  });
  const finals: string[] = [];
  results.subscribe('s', '0', (e) => void (e.result.type === 'final' && finals.push(e.result.text)));
  runner.start();
  await queue.add({
    id: 's:1',
    session: 's',
    segment: 1,
    kind: 'final',
    pcm: silence,
    language: 'en',
    start: 0,
    end: 2,
    targets: [],
    enqueuedAt: Date.now(),
  });
  await vi.waitFor(() => expect(finals).toHaveLength(1), { timeout: 30_000, interval: 20 });
  await runner.stop();
  await results.close();
  return finals[0]!;
}

describe('hallucination guard on whisper-onnx (fixture model with a likely no-speech token)', () => {
  let engineRule: WhisperOnnxEngine;
  let noEngineRule: WhisperOnnxEngine;
  let guard: HallucinationGuard;
  beforeAll(async () => {
    const dir = tinyModel({ noSpeechBias: 16 });
    const common = { language: 'en', timestamps: false, maxNewTokens: 16, temperatures: [0] };
    [engineRule, noEngineRule] = await Promise.all([
      engineFor(dir, common),
      engineFor(dir, { ...common, noSpeechThreshold: null }),
    ]);
    // The VAD rules off: this is about what the engine reports.
    guard = new HallucinationGuard({
      noSpeechThreshold: 0.6,
      logprobThreshold: -1,
      maxCompressionRatio: 2.4,
      maxRepeats: 3,
      minSpeechMs: 0,
      minWordsPerSecond: 0,
      blocklist: new Blocklist(),
      measureSpeech: await speechMeter(3),
    });
  });
  afterAll(async () => Promise.all([engineRule?.close(), noEngineRule?.close()]));

  it("counts the engine's own no-speech drop as no_speech: an empty final settles the seq", async () => {
    const [r] = await engineRule.transcribe([{ id: 'x', pcm: silence, partial: false }]);
    expect(r!.text).toBe('');
    expect(r!.withheld?.length).toBeGreaterThan(0); // the words Whisper invented and dropped
    const before = await noSpeechCount('final');
    expect(await runFinal(engineRule, guard)).toBe('');
    expect(await noSpeechCount('final')).toBe(before + 1);
  });

  it("withholds text from the reported no-speech probability when the engine's rule is off", async () => {
    const [r] = await noEngineRule.transcribe([{ id: 'x', pcm: silence, partial: false }]);
    expect(r!.text.length).toBeGreaterThan(0);
    expect(r!.noSpeechProb).toBeGreaterThan(0.6);
    expect(await runFinal(noEngineRule, null)).toBe(r!.text); // no guard: the invented text is published
    const before = await noSpeechCount('final');
    expect(await runFinal(noEngineRule, guard)).toBe('');
    expect(await noSpeechCount('final')).toBe(before + 1);
  });
});
