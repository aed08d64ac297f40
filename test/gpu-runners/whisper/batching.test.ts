/**
 * Batching across sessions: the STT runner gathers utterances from several sessions (up to its batch size, waiting
 * up to max_wait_ms for more), and the engine runs one encoder call and one batched decode for all of them. Each
 * utterance gets exactly the tokens it gets alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { WhisperModel } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import { SttRunner } from '../../../gpu-runners/stt-runner.ts';
import { floatToPcm16 } from '../../../shared/audio/pcm.ts';
import { silentLogger } from '../../../shared/logger.ts';
import type { SessionResult, SttJob } from '../../../shared/queue/jobs.ts';
import { MemoryQueue } from '../../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../../shared/queue/memory-result-log.ts';
import { engineFor, oracleInputs, tinyModel } from './support.ts';

const inputs = oracleInputs().filter((i) => /^librivox-0|goforward|numbers|noise-1s|silence-1s/.test(i.name));

describe('batching across sessions', () => {
  let engine: WhisperOnnxEngine;
  beforeAll(async () => {
    // A budget of 32 full windows per encoder call (the CPU default is 1, which splits 30 s batches to bound memory).
    engine = await engineFor(tinyModel(), { language: 'en', temperatures: [0], maxNewTokens: 24, windowBudget: 32 });
  });
  afterAll(async () => engine?.close());
  afterEach(() => vi.restoreAllMocks());

  it('decodes a batch in one encoder call and batched decoder calls, each row as it decodes alone', async () => {
    expect(inputs.length).toBeGreaterThanOrEqual(8);
    const alone = [];
    for (const input of inputs)
      alone.push((await engine.transcribeDetailed([{ samples: input.samples, partial: false }]))[0]!);
    const encode = vi.spyOn(WhisperModel.prototype, 'encode');
    const prefill = vi.spyOn(WhisperModel.prototype, 'prefill');
    const step = vi.spyOn(WhisperModel.prototype, 'step');
    const batched = await engine.transcribeDetailed(inputs.map((i) => ({ samples: i.samples, partial: false })));
    expect(encode).toHaveBeenCalledTimes(1);
    expect(encode.mock.calls[0]![0]).toHaveLength(inputs.length);
    expect(prefill).toHaveBeenCalledTimes(1);
    expect(prefill.mock.calls[0]![0]).toHaveLength(inputs.length);
    // Rows that end leave the batch: later steps carry fewer rows.
    const rowsPerStep = step.mock.calls.map((c) => c[0].length);
    expect(rowsPerStep[0]).toBe(inputs.length - batched.filter((r) => r.tokens[0]!.length === 0).length);
    expect(Math.min(...rowsPerStep)).toBeLessThan(rowsPerStep[0]!);
    expect(batched.map((r) => r.tokens)).toEqual(alone.map((r) => r.tokens));
    expect(batched.map((r) => r.segments)).toEqual(alone.map((r) => r.segments));
  });

  it('bounds the attention one encoder call holds: the CPU default (one 30 s window) splits full windows, not fitted ones', async () => {
    const small = await engineFor(tinyModel(), { language: 'en', temperatures: [0], maxNewTokens: 24 });
    const requests = inputs.slice(0, 4).map((i) => ({ samples: i.samples.slice(0, 16000), partial: true }));
    const full = await engine.transcribeDetailed(requests);
    const fitted = await engine.transcribeDetailed(requests.map((r) => ({ ...r, window: 'fit' as const })));
    const encode = vi.spyOn(WhisperModel.prototype, 'encode');
    expect((await small.transcribeDetailed(requests)).map((r) => r.tokens)).toEqual(full.map((r) => r.tokens));
    expect(encode.mock.calls.map((c) => c[0].length)).toEqual([1, 1, 1, 1]);
    encode.mockClear();
    expect(
      (await small.transcribeDetailed(requests.map((r) => ({ ...r, window: 'fit' as const })))).map((r) => r.tokens),
    ).toEqual(fitted.map((r) => r.tokens));
    expect(encode.mock.calls.map((c) => c[0].length)).toEqual([4]); // 3 s windows (1 s + the 2 s margin): (1500/150)² rows fit the budget
    await small.close();
  });

  it('groups rows by prompt length: sessions with different previous text still batch the encoder, and match alone', async () => {
    const requests = inputs
      .slice(0, 4)
      .map((i, k) => ({ samples: i.samples, partial: false, prompt: k % 2 ? 'some earlier words' : undefined }));
    const alone = [];
    for (const r of requests) alone.push((await engine.transcribeDetailed([r]))[0]!.tokens);
    const encode = vi.spyOn(WhisperModel.prototype, 'encode');
    const prefill = vi.spyOn(WhisperModel.prototype, 'prefill');
    const batched = await engine.transcribeDetailed(requests);
    expect(encode).toHaveBeenCalledTimes(1);
    expect(prefill.mock.calls.map((c) => c[0].length)).toEqual([2, 2]);
    expect(batched.map((r) => r.tokens)).toEqual(alone);
  });

  it("the runner prompts each utterance with its session's previous final text", async () => {
    const queue = new MemoryQueue<SttJob>();
    const results = new MemoryResultLog();
    const runner = new SttRunner({
      queue,
      mtQueue: null,
      results,
      engine,
      logger: silentLogger,
      batchSize: 8,
      maxWaitMs: 0,
      defaultLanguage: 'en',
    });
    const transcribe = vi.spyOn(engine, 'transcribe');
    const finals: string[] = [];
    results.subscribe('s', '0', (e) => e.result.type === 'final' && finals.push(e.result.text));
    runner.start();
    for (const [segment, input] of inputs.slice(0, 2).entries()) {
      await queue.add({
        id: `s:${segment}`,
        session: 's',
        segment,
        kind: 'final',
        pcm: floatToPcm16(input.samples),
        language: 'en',
        start: 0,
        end: 1,
        targets: [],
        enqueuedAt: Date.now(),
      });
      await vi.waitFor(() => expect(finals).toHaveLength(segment + 1), { timeout: 20_000, interval: 20 });
    }
    await runner.stop();
    expect(finals[0]!.length).toBeGreaterThan(0);
    expect(transcribe.mock.calls.map((c) => c[0][0]!.prompt)).toEqual([undefined, finals[0]]);
    await results.close();
  });

  for (const maxWaitMs of [1000, 0]) {
    it(`the runner ${maxWaitMs ? 'waits up to max_wait_ms to fill a batch' : 'takes only what is queued when max_wait_ms is 0'} (4 sessions, jobs 40 ms apart)`, async () => {
      const queue = new MemoryQueue<SttJob>();
      const results = new MemoryResultLog();
      const runner = new SttRunner({
        queue,
        mtQueue: null,
        results,
        engine,
        logger: silentLogger,
        batchSize: 8,
        maxWaitMs,
        defaultLanguage: 'en',
      });
      const transcribe = vi.spyOn(engine, 'transcribe');
      const picked = inputs.slice(0, 4);
      const finals = new Map<string, string>();
      const logged: SessionResult[] = [];
      for (const [k] of picked.entries()) {
        results.subscribe(`s${k}`, '0', (e) => {
          logged.push(e.result);
          if (e.result.type === 'final') finals.set(`s${k}`, e.result.text);
        });
      }
      runner.start();
      for (const [k, input] of picked.entries()) {
        await queue.add({
          id: `s${k}:1`,
          session: `s${k}`,
          segment: 1,
          kind: 'final',
          pcm: floatToPcm16(input.samples),
          language: 'en',
          start: 0,
          end: input.samples.length / 16000,
          targets: [],
          enqueuedAt: Date.now(),
        });
        await new Promise((r) => setTimeout(r, 40));
      }
      await vi.waitFor(() => expect({ finals: finals.size, logged }).toMatchObject({ finals: 4 }), {
        timeout: 30_000,
        interval: 20,
      });
      await runner.stop();
      const sizes = transcribe.mock.calls.map((c) => c[0].length);
      if (maxWaitMs > 0) expect(sizes).toEqual([4]);
      else expect(sizes[0]).toBe(1);
      for (const [k, input] of picked.entries()) {
        const [alone] = await engine.transcribe([
          { id: 'x', pcm: floatToPcm16(input.samples), language: 'en', partial: false },
        ]);
        expect(finals.get(`s${k}`)).toBe(alone!.text);
      }
      await results.close();
    });
  }
});
