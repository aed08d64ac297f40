/**
 * What an STT runner notes about each job it decodes, for the edge's per-stage latency and for catch-up: when it
 * took the job, how long the engine ran, and the effort. A final that waited in the queue past the budget is decoded
 * at `fast` effort, so a backlog shrinks instead of growing (the edge decides the rest of catch-up per session).
 */
import { metrics } from '../shared/metrics.ts';
import type { SttJob, SttTimings } from '../shared/queue/jobs.ts';

export class JobTimings {
  readonly #queueBudgetMs: number | undefined;
  readonly #byJob = new WeakMap<SttJob, { takenAt: number; sttMs?: number; late: boolean }>();

  /** `queueBudgetMs` undefined: never fast for lateness. */
  constructor(queueBudgetMs: number | undefined) {
    this.#queueBudgetMs = queueBudgetMs;
  }

  /** The batch left the queue. Idempotent: a batch retried job by job keeps its first notes. */
  taken(batch: readonly SttJob[], now = Date.now()): void {
    for (const job of batch) {
      if (this.#byJob.has(job)) continue;
      // `enqueuedAt` is the edge's clock: across machines the wait includes their skew (NTP keeps it small).
      const late =
        job.kind === 'final' && this.#queueBudgetMs !== undefined && now - job.enqueuedAt > this.#queueBudgetMs;
      if (late) metrics.catchUp.inc({ action: 'fast_effort' });
      this.#byJob.set(job, { takenAt: now, late });
    }
  }

  /** The engine decoded the batch in `ms`. */
  decoded(batch: readonly SttJob[], ms: number): void {
    for (const job of batch) {
      const t = this.#byJob.get(job);
      if (t) t.sttMs = Math.round(ms);
    }
  }

  /** True for a final taken after waiting past the queue budget. */
  late(job: SttJob): boolean {
    return this.#byJob.get(job)?.late ?? false;
  }

  /** The fields a final result carries. */
  of(job: SttJob, effort: 'fast' | 'full'): SttTimings {
    const t = this.#byJob.get(job);
    return t ? { takenAt: t.takenAt, ...(t.sttMs !== undefined ? { sttMs: t.sttMs } : {}), effort } : { effort };
  }
}
