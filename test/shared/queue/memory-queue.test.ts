import { describe, expect, it } from 'vitest';
import { createMemorySttQueue } from '../../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../../shared/queue/memory-result-log.ts';
import { sttJobId, type SttJob } from '../../../shared/queue/jobs.ts';

const job = (session: string, segment: number, kind: SttJob['kind'], samples = 10): SttJob => ({
  id: sttJobId(session, segment, kind), session, segment, kind, pcm: new Int16Array(samples), start: 0, end: 1, targets: [], enqueuedAt: 0,
});

describe('memory STT queue', () => {
  it('serves finals ahead of partials', async () => {
    const q = createMemorySttQueue();
    await q.add(job('a', 1, 'partial'));
    await q.add(job('b', 1, 'final'));
    await q.add(job('a', 2, 'final'));
    expect((await q.take(10)).map((j) => j.id)).toEqual(['b:1', 'a:2', 'a:1:partial']);
  });

  it('keeps only the latest queued partial per session', async () => {
    const q = createMemorySttQueue();
    await q.add(job('a', 1, 'partial', 10));
    await q.add(job('b', 1, 'partial', 10));
    await q.add(job('a', 1, 'partial', 20));
    const jobs = await q.take(10);
    expect(jobs.map((j) => [j.session, j.pcm.length])).toEqual([['b', 10], ['a', 20]]);
    expect(q.stats()).toEqual({ waiting: 0, active: 2 });
    await q.complete(jobs);
    expect(q.stats()).toEqual({ waiting: 0, active: 0 });
  });

  it('take waits for work and returns empty when aborted', async () => {
    const q = createMemorySttQueue();
    const pending = q.take(4);
    setTimeout(() => void q.add(job('a', 1, 'final')), 20);
    expect((await pending).map((j) => j.id)).toEqual(['a:1']);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    expect(await q.take(4, abort.signal)).toEqual([]);
  });
});

describe('memory result log', () => {
  it('replays from a position, then streams new entries', async () => {
    const log = new MemoryResultLog();
    await log.append('s', { type: 'partial', segment: 1, text: 'a', start: 0 });
    await log.append('s', { type: 'final', seq: 1, text: 'ab', start: 0, end: 1, targets: [] });
    const seen: number[] = [];
    const stop = log.subscribe('s', 1, (e) => seen.push(e.pos));
    await log.append('s', { type: 'translation', seq: 1, lang: 'es', text: 'x' });
    stop();
    await log.append('s', { type: 'translation', seq: 1, lang: 'fr', text: 'y' });
    expect(seen).toEqual([2, 3]);
  });
});
