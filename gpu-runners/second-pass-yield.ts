/**
 * Second passes yield to first-pass work. A full-window second pass (window `auto`) costs a 30 s encode and a
 * decode over it; while it runs, partials and finals of other sessions that arrive would wait behind it. So while a
 * runner works on second passes it polls its queue, and when first-pass jobs are waiting it aborts the engine call,
 * which stops at the next decoder step (the engine checks its signal before every step); the first pass then
 * stands as the final's rev 2. The queue already hands out second passes only when no final or partial is waiting
 * (they are its least urgent jobs), and a second pass starts only after the queue stayed so for a short grace, so
 * it runs only in the runner's slack and gives it back at once.
 */
import type { SttQueue } from '../shared/queue/ports.ts';

/** How often a running second pass looks at the queue: a few decoder steps of a tiny model on a CPU. */
export const YIELD_POLL_MS = 25;
/**
 * How long the queue must stay free of first-pass work before a second pass starts its 30 s encode, which cannot
 * be interrupted: work arriving this soon (another session's next partial) takes the runner without paying for it.
 */
export const SECOND_PASS_GRACE_MS = 100;

export interface SecondPassWatch {
  /** Aborts when first-pass work is waiting. */
  readonly signal: AbortSignal;
  /** Waits `ms` (default SECOND_PASS_GRACE_MS) or until first-pass work shows up, whichever is first. */
  settle(ms?: number): Promise<void>;
  /** Whether the watch aborted the call (rather than the engine failing). */
  readonly yielded: boolean;
  stop(): void;
}

/**
 * Watches the queue while second passes run. `queuedSecondPasses()` is how many of the waiting jobs are second
 * passes this runner queued itself (they do not count as first-pass work).
 */
export function watchForFirstPassWork(
  queue: SttQueue,
  queuedSecondPasses: () => number,
  pollMs = YIELD_POLL_MS,
): SecondPassWatch {
  const controller = new AbortController();
  let yielded = false;
  let checking = false;
  const timer = setInterval(() => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    queue
      .stats()
      .then(({ waiting }) => {
        if (waiting > queuedSecondPasses() && !controller.signal.aborted) {
          yielded = true;
          controller.abort();
        }
      })
      // An unreachable queue says nothing about waiting work: the second pass goes on.
      .catch(() => undefined)
      .finally(() => (checking = false));
  }, pollMs);
  return {
    signal: controller.signal,
    settle: (ms = SECOND_PASS_GRACE_MS) =>
      new Promise<void>((resolve) => {
        const done = () => (clearTimeout(timeout), resolve());
        const timeout = setTimeout(done, ms);
        controller.signal.addEventListener('abort', done, { once: true });
      }),
    get yielded() {
      return yielded;
    },
    stop: () => clearInterval(timer),
  };
}
