/**
 * When a session counts as behind (catch-up.ts), from the timings its results carry: explicit clock values, no
 * waiting. Behind → partials are not queued (counted) and the segmenter is put in catch-up mode.
 */
import { describe, expect, it } from 'vitest';
import { CatchUp, type CatchUpAction } from '../../edge/realtime/catch-up.ts';
import type { SessionResult } from '../../shared/queue/jobs.ts';

const final = (seq: number, takenAt?: number, effort?: 'fast' | 'full'): SessionResult => ({
  type: 'final',
  seq,
  text: 'x',
  start: 0,
  end: 1,
  targets: [],
  ...(takenAt !== undefined ? { takenAt } : {}),
  ...(effort ? { effort } : {}),
});
const options = { enabled: true, queueBudgetMs: 500, sttBudgetMs: 2000 };

describe('catch-up', () => {
  it('is behind while its finals wait past the queue budget, and until one waits under half of it', () => {
    const c = new CatchUp(options);
    c.queued(1, 0);
    c.answered(final(1, 400), 900);
    expect(c.behind(1000)).toBe(false);
    c.queued(2, 1000);
    c.answered(final(2, 1700, 'fast'), 2500); // waited 700 ms
    expect(c.behind(2600)).toBe(true);
    c.queued(3, 3000);
    c.answered(final(3, 3400), 4000); // 400 ms: under budget but not under half — still behind
    expect(c.behind(4000)).toBe(true);
    c.queued(4, 5000);
    c.answered(final(4, 5200), 6000); // 200 ms
    expect(c.behind(6000)).toBe(false);
    expect(c.summary()).toEqual({ episodes: 1, droppedPartials: 0, mergedPauses: 0, fastFinals: 1 });
  });

  it('is behind when a queued final has gone unanswered past the queue and STT budgets, without waiting for it', () => {
    const c = new CatchUp(options);
    c.queued(1, 0);
    expect(c.behind(2500)).toBe(false);
    expect(c.behind(2501)).toBe(true);
    c.answered({ type: 'error', code: 'stt_failed', message: 'x', seq: 1 }, 2600);
    expect(c.behind(2700)).toBe(false);
  });

  it('while behind drops partials and steers the segmenter into catch-up mode, counting each action', () => {
    const actions: CatchUpAction[] = [];
    const c = new CatchUp(options, (a) => actions.push(a));
    const segmenter = { catchUp: false, merged: 0 };
    expect(c.allowPartial(0)).toBe(true);
    c.queued(1, 0);
    c.steer(segmenter, 100);
    expect(segmenter.catchUp).toBe(false);
    expect(c.allowPartial(5000)).toBe(false);
    c.steer(segmenter, 5000);
    expect(segmenter.catchUp).toBe(true);
    segmenter.merged = 2; // the segmenter bridged two pauses
    c.steer(segmenter, 5100);
    expect(actions).toEqual(['drop_partial', 'merge_utterances', 'merge_utterances']);
    expect(c.summary()).toMatchObject({ droppedPartials: 1, mergedPauses: 2 });
  });

  it('disabled, never behind', () => {
    const c = new CatchUp({ ...options, enabled: false });
    c.queued(1, 0);
    c.answered(final(1, 10_000), 10_500);
    c.queued(2, 0);
    expect(c.behind(60_000)).toBe(false);
    expect(c.allowPartial(60_000)).toBe(true);
  });
});
