/**
 * The edge's streaming-lane router on the in-process queues: sessions spread over streaming runners, partials carry
 * only new stable audio, finals go whole to the same runner, and a session moves (resending its utterance from
 * the start) when its runner is gone or full.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/logger.ts';
import type { SttJob } from '../../shared/queue/jobs.ts';
import { createMemorySttQueue } from '../../shared/queue/memory-queue.ts';
import { MemoryStreamRoutes } from '../../shared/queue/memory-stream-routes.ts';
import type { SttQueue } from '../../shared/queue/ports.ts';
import type { RunnerInfo } from '../../shared/queue/runner-registry.ts';
import { StreamingLaneRouter } from '../../edge/realtime/streaming-lane.ts';

const runner = (id: string, held = 0, max = 4, state = 'running'): RunnerInfo => ({
  id,
  role: 'stt',
  engine: 'sphinx',
  streams: { held, max },
  processed: 0,
  failed: 0,
  state,
  at: Date.now(),
});
const pcm = (n: number) => Int16Array.from({ length: n }, (_, i) => (i % 100) + 1);
const job = (session: string, kind: 'partial' | 'final', samples: number, stable?: number, segment = 1): SttJob => ({
  id: `${session}:${segment}${kind === 'partial' ? ':partial' : ''}`,
  session,
  segment,
  kind,
  pcm: pcm(samples),
  start: 0,
  end: samples / 16000,
  targets: [],
  enqueuedAt: 0,
  ...(stable !== undefined ? { stable } : {}),
});
const drain = async (queue: SttQueue) => {
  const out: SttJob[] = [];
  for (;;) {
    const timeout = new AbortController();
    setTimeout(() => timeout.abort(), 5);
    const got = await queue.take(100, timeout.signal);
    if (got.length === 0) return out;
    out.push(...got);
  }
};

describe('streaming lane router', () => {
  it('spreads sessions, sends only new stable audio, finals whole to the same runner; moves when its runner goes', async () => {
    let live = [runner('r1'), runner('r2')];
    const shared = createMemorySttQueue();
    const routes = new MemoryStreamRoutes();
    const router = new StreamingLaneRouter({ shared, routes, runners: () => live, logger: silentLogger });

    await router.add(job('a', 'partial', 8000, 4800));
    await router.add(job('b', 'partial', 8000, 4800));
    expect([...router.bound().values()]).toEqual([1, 1]);
    const ra = [...router.bound().keys()][0]!;

    await router.add(job('a', 'partial', 16000, 12800));
    await router.add(job('a', 'partial', 17000, 12800)); // nothing new is stable: nothing sent
    await router.add(job('a', 'final', 20000));
    const sent = (await drain(routes.queue(ra))).filter((j) => j.session === 'a');
    expect(sent.map((j) => [j.kind, j.stream?.offset, j.pcm.length])).toEqual([
      ['partial', 0, 4800],
      ['partial', 4800, 8000],
      ['final', 12800, 20000],
    ]);
    expect(sent[1]!.pcm).toEqual(pcm(16000).subarray(4800, 12800));

    // a's runner is gone mid-utterance: the next partial goes to the other one, from the utterance's start.
    live = live.filter((r) => r.id !== ra);
    await router.add(job('a', 'partial', 9600, 6400, 2));
    const other = live[0]!.id;
    expect(
      (await drain(routes.queue(other))).filter((j) => j.session === 'a').map((j) => [j.stream?.offset, j.pcm.length]),
    ).toEqual([[0, 6400]]);
    expect(await drain(shared)).toEqual([]);
  });

  it('binds no new session to a full or draining runner; with no streaming runner, jobs take the shared queue (finals marked)', async () => {
    let live = [runner('full', 4, 4), runner('draining', 0, 4, 'stopping'), runner('ok', 1, 4)];
    const shared = createMemorySttQueue();
    const routes = new MemoryStreamRoutes();
    const router = new StreamingLaneRouter({ shared, routes, runners: () => live, logger: silentLogger });
    await router.add(job('s', 'partial', 8000, 4800));
    expect([...router.bound().keys()]).toEqual(['ok']);

    live = [];
    // Finals are marked for the stream decoder whether or not the session was ever bound.
    await router.add(job('s', 'final', 9000));
    await router.add(job('t', 'final', 7000, undefined, 1));
    const queued = await drain(shared);
    expect(queued.map((j) => [j.session, j.kind, j.pcm.length, j.stream !== undefined])).toEqual([
      ['s', 'final', 9000, true],
      ['t', 'final', 7000, true],
    ]);
  });
});
