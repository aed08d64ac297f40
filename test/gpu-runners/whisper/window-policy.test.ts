/**
 * The runner's encoder window policy (`--stt-window`) with the real whisper-onnx engine on a generated model:
 * partials are always fitted; `fit` fits finals; `full` keeps 30 s windows for finals; `auto` publishes a fitted
 * first pass that promises a correction, then the full-window second pass as rev 2. Which window a decode used is
 * told by its text: on this model a fitted and a full window give different tokens for the same audio. A second
 * pass gives way to first-pass work that arrives while it runs (second-pass-yield.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pcm16ToFloat } from '../../../shared/audio/pcm.ts';
import { silentLogger } from '../../../shared/logger.ts';
import type { SessionResult, SttJob } from '../../../shared/queue/jobs.ts';
import { createMemorySttQueue } from '../../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../../shared/queue/memory-result-log.ts';
import type { SttEngine, SttRequest } from '../../../gpu-runners/engines/types.ts';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { SttRunner } from '../../../gpu-runners/stt-runner.ts';
import { librivoxRecordings } from '../../support/librivox.ts';
import { engineFor, tinyModel } from './support.ts';

type Final = Extract<SessionResult, { type: 'final' }>;
type Partial = Extract<SessionResult, { type: 'partial' }>;
const speech = librivoxRecordings()[1]!.pcm;

let engine: WhisperOnnxEngine;
const texts = { fit: '', full: '', partialFit: '', partialFull: '' };

beforeAll(async () => {
  engine = await engineFor(tinyModel(), {
    language: 'en',
    temperatures: [0],
    timestamps: false,
    maxNewTokens: 24,
    conditionOnPreviousText: false,
    noSpeechThreshold: null,
  });
  const samples = pcm16ToFloat(speech);
  const [fit, full, partialFit, partialFull] = await engine.transcribeDetailed([
    { samples, partial: false, window: 'fit' },
    { samples, partial: false, window: 'full' },
    { samples, partial: true, window: 'fit' },
    { samples, partial: true, window: 'full' },
  ]);
  Object.assign(texts, {
    fit: fit!.text.trim(),
    full: full!.text.trim(),
    partialFit: partialFit!.text.trim(),
    partialFull: partialFull!.text.trim(),
  });
});
afterAll(() => engine?.close());

async function run(
  window: 'fit' | 'full' | 'auto',
  twoPass: 'off' | 'behind' = 'behind',
): Promise<{ finals: Final[]; partials: Partial[] }> {
  const queue = createMemorySttQueue();
  const results = new MemoryResultLog();
  const runner = new SttRunner({
    queue,
    mtQueue: null,
    results,
    engine,
    logger: silentLogger,
    batchSize: 1,
    maxWaitMs: 0,
    defaultLanguage: 'en',
    twoPass,
    window,
  });
  const finals: Final[] = [];
  const partials: Partial[] = [];
  results.subscribe('s', '0', (e) =>
    e.result.type === 'final' ? finals.push(e.result) : e.result.type === 'partial' && partials.push(e.result),
  );
  const job = (kind: 'final' | 'partial'): SttJob => ({
    id: kind === 'final' ? 's:1' : 's:1:partial',
    session: 's',
    segment: 1,
    kind,
    pcm: speech,
    language: 'en',
    start: 0,
    end: speech.length / 16000,
    targets: [],
    enqueuedAt: Date.now(),
  });
  await queue.add(job('partial'));
  runner.start();
  await vi.waitFor(() => expect(partials).toHaveLength(1), { timeout: 60_000, interval: 20 });
  await queue.add(job('final'));
  const expected = window === 'auto' && twoPass !== 'off' ? 2 : 1;
  await vi.waitFor(() => expect(finals).toHaveLength(expected), { timeout: 60_000, interval: 20 });
  await new Promise((r) => setTimeout(r, 200)); // nothing more arrives
  await runner.stop();
  await results.close();
  return { finals, partials };
}

describe('the encoder window policy', () => {
  it('has a model on which fitted and full windows read differently', () => {
    expect(engine.fitsWindows).toBe(true);
    expect(texts.fit).not.toBe(texts.full);
    expect(texts.partialFit).not.toBe(texts.partialFull);
  });

  it('auto: a fitted first pass promising a correction, then the full-window second pass as rev 2', async () => {
    const { finals, partials } = await run('auto');
    expect(partials.map((p) => p.text)).toEqual([texts.partialFit]);
    expect(finals.map((f) => ({ rev: f.rev ?? 1, text: f.text, revision: f.revision ?? false }))).toEqual([
      { rev: 1, text: texts.fit, revision: true },
      { rev: 2, text: texts.full, revision: false },
    ]);
  });

  it('fit: finals fitted, no second pass; full: finals in 30 s windows, partials still fitted', async () => {
    const fit = await run('fit');
    expect(fit.finals.map((f) => [f.text, f.revision ?? false])).toEqual([[texts.fit, false]]);
    const full = await run('full');
    expect(full.finals.map((f) => [f.text, f.revision ?? false])).toEqual([[texts.full, false]]);
    expect(full.partials.map((p) => p.text)).toEqual([texts.partialFit]);
  });

  it('auto with two-pass off: the fitted first pass stands', async () => {
    const { finals } = await run('auto', 'off');
    expect(finals.map((f) => [f.text, f.revision ?? false])).toEqual([[texts.fit, false]]);
  });

  describe('a second pass yields to first-pass work', () => {
    /** auto, with another session's partial queued the moment the second pass reaches the engine. */
    async function contended(
      yieldSecondPasses: boolean,
      when: 'engine' | 'taken' = 'engine',
      twoPass: 'behind' | 'always' = 'behind',
    ) {
      const queue = createMemorySttQueue();
      const take = queue.take.bind(queue);
      // 'taken': the partial arrives as the runner takes the second pass, before any engine call.
      queue.take = async (max, signal) => {
        const jobs = await take(max, signal);
        if (when === 'taken' && jobs.some((j) => j.kind === 'refine')) await queue.add(other());
        return jobs;
      };
      const results = new MemoryResultLog();
      const calls: { ids: string[]; outcome?: 'done' | 'aborted' }[] = [];
      const other = (): SttJob => ({
        id: 't:1:partial',
        session: 't',
        segment: 1,
        kind: 'partial',
        pcm: speech.subarray(0, 32000),
        language: 'en',
        start: 0,
        end: 2,
        targets: [],
        enqueuedAt: Date.now(),
      });
      const watched: SttEngine = {
        name: engine.name,
        languages: engine.languages,
        fitsWindows: true,
        load: async () => undefined,
        close: async () => undefined,
        async transcribe(batch: readonly SttRequest[], signal?: AbortSignal) {
          const call: (typeof calls)[number] = { ids: batch.map((r) => r.id) };
          calls.push(call);
          if (when === 'engine' && call.ids.some((id) => id.endsWith(':refine'))) await queue.add(other());
          try {
            const out = await engine.transcribe(batch, signal);
            call.outcome = 'done';
            return out;
          } catch (err) {
            call.outcome = signal?.aborted ? 'aborted' : undefined;
            throw err;
          }
        },
      };
      const runner = new SttRunner({
        queue,
        mtQueue: null,
        results,
        engine: watched,
        logger: silentLogger,
        batchSize: 1,
        maxWaitMs: 0,
        defaultLanguage: 'en',
        twoPass,
        window: 'auto',
        yieldSecondPasses,
      });
      const finals: Final[] = [];
      const partials: Partial[] = [];
      results.subscribe('s', '0', (e) => e.result.type === 'final' && finals.push(e.result));
      results.subscribe('t', '0', (e) => e.result.type === 'partial' && partials.push(e.result));
      await queue.add({
        id: 's:1',
        session: 's',
        segment: 1,
        kind: 'final',
        pcm: speech,
        language: 'en',
        start: 0,
        end: speech.length / 16000,
        targets: [],
        enqueuedAt: Date.now(),
      });
      runner.start();
      await vi.waitFor(() => expect(finals).toHaveLength(2), { timeout: 60_000, interval: 20 });
      await vi.waitFor(() => expect(partials).toHaveLength(1), { timeout: 60_000, interval: 20 });
      await runner.stop();
      await results.close();
      return { finals, calls };
    }

    it('the second pass is abandoned at a decoder step when a partial arrives, the partial runs next, and the first pass stands as rev 2', async () => {
      const { finals, calls } = await contended(true);
      expect(calls.map((c) => [c.ids, c.outcome])).toEqual([
        [['s:1'], 'done'],
        [['s:1:refine'], 'aborted'],
        [['t:1:partial'], 'done'],
      ]);
      expect(finals.map((f) => [f.rev ?? 1, f.text])).toEqual([
        [1, texts.fit],
        [2, texts.fit],
      ]);
    });

    it('a second pass taken just before first-pass work arrives never starts its 30 s encode', async () => {
      const { finals, calls } = await contended(true, 'taken');
      expect(calls.map((c) => [c.ids, c.outcome])).toEqual([
        [['s:1'], 'done'],
        [['t:1:partial'], 'done'],
      ]);
      expect(finals.map((f) => [f.rev ?? 1, f.text])).toEqual([
        [1, texts.fit],
        [2, texts.fit],
      ]);
    });

    it('second passes asked for (two-pass always) do not yield: the partial waits, the correction is made', async () => {
      const { finals, calls } = await contended(true, 'engine', 'always');
      expect(calls.map((c) => [c.ids, c.outcome])).toEqual([
        [['s:1'], 'done'],
        [['s:1:refine'], 'done'],
        [['t:1:partial'], 'done'],
      ]);
      expect(finals.map((f) => [f.rev ?? 1, f.text])).toEqual([
        [1, texts.fit],
        [2, texts.full],
      ]);
    });

    it('without yielding (the old behaviour) the partial waits for the whole full-window second pass', async () => {
      const { finals, calls } = await contended(false);
      expect(calls.map((c) => [c.ids, c.outcome])).toEqual([
        [['s:1'], 'done'],
        [['s:1:refine'], 'done'],
        [['t:1:partial'], 'done'],
      ]);
      expect(finals.map((f) => [f.rev ?? 1, f.text])).toEqual([
        [1, texts.fit],
        [2, texts.full],
      ]);
    });
  });
});
