/**
 * Runner catch-up with the real sphinx engine: a final that waited in the queue past the queue budget is decoded at
 * `fast` effort (sphinx's narrower search pool) and its result says so, with the runner's timings (when it was
 * taken, the engine time) for the edge's per-stage latency; a final on time is decoded at full effort. Without a
 * budget nothing is ever fast. Both efforts still transcribe the speech.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EffortSphinxEngine } from '../../gpu-runners/engines/sphinx-effort.ts';
import { SttRunner } from '../../gpu-runners/stt-runner.ts';
import { silentLogger } from '../../shared/logger.ts';
import { metrics } from '../../shared/metrics.ts';
import type { SessionResult, SttJob } from '../../shared/queue/jobs.ts';
import { createMemorySttQueue } from '../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../shared/queue/memory-result-log.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { corpusWer } from '../support/wer.ts';

type Final = Extract<SessionResult, { type: 'final' }>;
const [late, onTime] = librivoxRecordings();
const engine = new EffortSphinxEngine({ decoders: 1 });
beforeAll(() => engine.load());
afterAll(() => engine.close());

const fastCount = async () =>
  (await metrics.catchUp.get()).values.find((v) => v.labels.action === 'fast_effort')?.value ?? 0;

async function decode(queueBudgetMs: number | undefined): Promise<Final[]> {
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
    twoPass: 'off',
    queueBudgetMs,
  });
  const finals: Final[] = [];
  results.subscribe('s', '0', (e) => e.result.type === 'final' && finals.push(e.result));
  const job = (segment: number, pcm: Int16Array, enqueuedAt: number): SttJob => ({
    id: `s:${segment}`,
    session: 's',
    segment,
    kind: 'final',
    pcm,
    language: 'en',
    start: 0,
    end: pcm.length / 16000,
    targets: [],
    enqueuedAt,
  });
  await queue.add(job(1, late!.pcm, Date.now() - 90_000)); // waited 90 s already
  await queue.add(job(2, onTime!.pcm, Date.now()));
  runner.start();
  await vi.waitFor(() => expect(finals).toHaveLength(2), { timeout: 60_000, interval: 20 });
  await runner.stop();
  await results.close();
  return finals.sort((a, b) => a.seq - b.seq);
}

describe('runner catch-up: fast effort for late finals', () => {
  it('decodes a final that waited past the queue budget at fast effort, and says so with its timings', async () => {
    const before = await fastCount();
    // A budget far above one decode's time, so a loaded machine cannot make the on-time final late too.
    const [a, b] = await decode(45_000);
    expect(a!.effort).toBe('fast');
    expect(b!.effort).toBe('full');
    expect(await fastCount()).toBe(before + 1);
    for (const final of [a!, b!]) {
      expect(final.takenAt).toBeGreaterThan(Date.now() - 120_000);
      expect(final.sttMs).toBeGreaterThan(0);
    }
    // Fast is rougher, not broken: both recordings are still recognisably transcribed.
    expect(corpusWer([{ reference: late!.reference, hypothesis: a!.text }])).toBeLessThan(0.6);
    expect(corpusWer([{ reference: onTime!.reference, hypothesis: b!.text }])).toBeLessThan(0.5);
  });

  it('without a queue budget (catch-up off) every final is decoded at full effort', async () => {
    const finals = await decode(undefined);
    expect(finals.map((f) => f.effort)).toEqual(['full', 'full']);
  });
});

describe('second pass (refine) with the real sphinx engine', () => {
  async function refine(refineMaxAgeMs: number, waitedMs: number): Promise<Final> {
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
      twoPass: 'behind',
      refineMaxAgeMs,
    });
    const finals: Final[] = [];
    results.subscribe('s', '0', (e) => e.result.type === 'final' && finals.push(e.result));
    await queue.add({
      id: 's:1:refine',
      session: 's',
      segment: 1,
      kind: 'refine',
      draft: 'the first pass',
      pcm: onTime!.pcm,
      language: 'en',
      start: 0,
      end: onTime!.pcm.length / 16000,
      targets: [],
      enqueuedAt: Date.now() - waitedMs,
    });
    runner.start();
    await vi.waitFor(() => expect(finals).toHaveLength(1), { timeout: 60_000, interval: 20 });
    await runner.stop();
    await results.close();
    return finals[0]!;
  }

  it('re-decodes at full effort and publishes rev 2; one queued past its age limit is skipped and the first pass stands', async () => {
    const fresh = await refine(30_000, 0);
    expect(fresh.rev).toBe(2);
    expect(corpusWer([{ reference: onTime!.reference, hypothesis: fresh.text }])).toBeLessThan(0.5);
    const skipped = await refine(30_000, 60_000);
    expect(skipped).toMatchObject({ rev: 2, text: 'the first pass' });
  });
});
