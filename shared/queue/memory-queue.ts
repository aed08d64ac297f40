/**
 * In-process job queue: the embedded default. Lanes by urgency (finals before partials); jobs with a coalesce
 * key are latest-wins, so a newer partial snapshot replaces a queued older one of the same session.
 */
import { PERMANENT_ERRORS, type EarshotError } from '../errors.ts';
import { sttUrgency, type MtJob, type SttJob } from './jobs.ts';
import type { JobQueue, QueueStats } from './ports.ts';

export interface MemoryQueueOptions<J> {
  /** Lower is more urgent. */
  urgency?: (job: J) => number;
  /** Jobs sharing a key replace each other while waiting. */
  coalesceKey?: (job: J) => string | undefined;
  /** A job that makes the waiting coalesced job of this key obsolete (a final overtakes its partials). */
  clears?: (job: J) => string | undefined;
  /** Attempts per job before it moves to the dead-letter list. */
  attempts?: number;
}

export class MemoryQueue<J extends { id: string }> implements JobQueue<J> {
  readonly #lanes = new Map<number, J[]>();
  readonly #coalesced = new Map<string, J>();
  readonly #waiters = new Set<() => void>();
  readonly #options: MemoryQueueOptions<J>;
  readonly #attempts = new Map<string, number>();
  readonly #dead: { job: J; error: EarshotError }[] = [];
  #active = 0;
  #closed = false;

  constructor(options: MemoryQueueOptions<J> = {}) {
    this.#options = options;
  }

  async add(job: J): Promise<void> {
    if (this.#closed) throw new Error('queue is closed');
    const key = this.#options.coalesceKey?.(job);
    const lane = this.#lane(this.#options.urgency?.(job) ?? 0);
    if (key !== undefined) {
      this.#remove(key);
      this.#coalesced.set(key, job);
    }
    const cleared = this.#options.clears?.(job);
    if (cleared !== undefined) this.#remove(cleared);
    lane.push(job);
    for (const wake of this.#waiters) wake();
  }

  async take(max: number, signal?: AbortSignal): Promise<J[]> {
    while (!this.#closed && !signal?.aborted) {
      const jobs = this.#drain(max);
      if (jobs.length > 0) return jobs;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
    return [];
  }

  async complete(job: J): Promise<void> {
    this.#active -= 1;
    this.#attempts.delete(job.id);
  }

  async fail(job: J, error: EarshotError): Promise<boolean> {
    this.#active -= 1;
    const made = (this.#attempts.get(job.id) ?? 0) + 1;
    if (made >= (this.#options.attempts ?? 3) || PERMANENT_ERRORS.has(error.code)) {
      this.#attempts.delete(job.id);
      this.#dead.push({ job, error });
      return true;
    }
    this.#attempts.set(job.id, made);
    await this.add(job);
    return false;
  }

  /** Removes and returns every waiting job (a stopped runner's queue handed back), most urgent first. */
  takeWaiting(): J[] {
    const jobs: J[] = [];
    for (let lane = this.#drain(Infinity); lane.length > 0; lane = this.#drain(Infinity)) jobs.push(...lane);
    this.#active -= jobs.length;
    return jobs;
  }

  /** Jobs that failed every attempt, oldest first. */
  get deadLetters(): readonly { job: J; error: EarshotError }[] {
    return this.#dead;
  }

  async stats(): Promise<QueueStats> {
    let waiting = 0;
    for (const lane of this.#lanes.values()) waiting += lane.length;
    return { waiting, active: this.#active, dead: this.#dead.length };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiters) wake();
  }

  #lane(urgency: number): J[] {
    let lane = this.#lanes.get(urgency);
    if (!lane) {
      lane = [];
      this.#lanes.set(urgency, lane);
      // Keep lanes iterated in urgency order.
      const sorted = [...this.#lanes.entries()].sort((a, b) => a[0] - b[0]);
      this.#lanes.clear();
      for (const [u, l] of sorted) this.#lanes.set(u, l);
    }
    return lane;
  }

  /** Drops the waiting coalesced job of `key`, if any. */
  #remove(key: string): void {
    const older = this.#coalesced.get(key);
    if (!older) return;
    this.#coalesced.delete(key);
    for (const lane of this.#lanes.values()) {
      const at = lane.indexOf(older);
      if (at >= 0) lane.splice(at, 1);
    }
  }

  #drain(max: number): J[] {
    const out: J[] = [];
    for (const lane of this.#lanes.values()) {
      while (out.length < max && lane.length > 0) {
        const job = lane.shift()!;
        const key = this.#options.coalesceKey?.(job);
        if (key !== undefined && this.#coalesced.get(key) === job) this.#coalesced.delete(key);
        out.push(job);
      }
      // A batch never mixes urgencies: a final must not wait for the compute of partials batched with it.
      if (out.length > 0) break;
    }
    this.#active += out.length;
    return out;
  }
}

export const createMemorySttQueue = (attempts = 3): MemoryQueue<SttJob> =>
  new MemoryQueue<SttJob>({
    urgency: sttUrgency,
    coalesceKey: (job) => (job.kind === 'partial' ? job.session : undefined),
    // A session's final is newer than any partial it has waiting: that partial is stale, not worth computing.
    clears: (job) => (job.kind === 'final' ? job.session : undefined),
    attempts,
  });

export const createMemoryMtQueue = (attempts = 3): MemoryQueue<MtJob> =>
  new MemoryQueue<MtJob>({
    urgency: (job) => (job.kind === 'partial' ? 1 : 0),
    coalesceKey: (job) => (job.kind === 'partial' ? `${job.session}:${job.target}` : undefined),
    clears: (job) => (job.kind !== 'partial' ? `${job.session}:${job.target}` : undefined),
    attempts,
  });
