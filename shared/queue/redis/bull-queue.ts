/**
 * JobQueue on BullMQ, fetched manually so a runner can take a batch across sessions. Redelivery comes from BullMQ:
 * a runner that dies stops renewing its locks, and another runner's stalled-job check puts the jobs back.
 * Retries and the dead-letter set (BullMQ's failed set) are decided here from the job's attempt count.
 */
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { PERMANENT_ERRORS, type EarshotError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { JobQueue, QueueStats } from '../ports.ts';

export interface JobCodec<J> {
  encode(job: J): Record<string, unknown>;
  decode(data: Record<string, unknown>): J;
}

export interface BullQueueOptions<J> {
  name: string;
  prefix: string;
  connection: Redis;
  codec: JobCodec<J>;
  attempts: number;
  /** How long a taken job stays locked without renewal: the redelivery delay after a runner dies. */
  lockMs: number;
  /** BullMQ priority (1 is most urgent). */
  priority?: (job: J) => number;
  /** BullMQ job id; BullMQ ids may not contain ':'. Latest-wins jobs need an id per enqueue. */
  bullId?: (job: J) => string;
  /** Called on taken jobs; true means the job is obsolete (a newer partial exists) and is skipped. */
  isStale?: (job: J) => Promise<boolean>;
  logger: Logger;
}

/** Connection errors are reported once by the main connection; duplicates would repeat them on every retry. */
function quiet(redis: Redis): Redis {
  redis.on('error', () => undefined);
  return redis;
}

interface Held {
  bull: Job;
  renew: ReturnType<typeof setInterval>;
}

export class BullQueue<J extends { id: string }> implements JobQueue<J> {
  readonly #o: BullQueueOptions<J>;
  readonly #queue: Queue;
  #worker: Worker | undefined;
  readonly #token = randomUUID();
  readonly #held = new Map<string, Held>();
  /** A job taken but not yet handed out (its priority differed from the batch's). */
  #carry: J | undefined;

  constructor(options: BullQueueOptions<J>) {
    this.#o = options;
    this.#queue = new Queue(options.name, { connection: options.connection, prefix: options.prefix });
    this.#queue.on('error', (err) => options.logger.debug({ queue: options.name, err: err.message }, 'queue error'));
  }

  async add(job: J): Promise<void> {
    const jobId = this.#o.bullId?.(job) ?? job.id.replaceAll(':', '.');
    await this.#queue.add(this.#o.name, this.#o.codec.encode(job), {
      jobId,
      priority: this.#o.priority?.(job),
      attempts: this.#o.attempts,
      backoff: { type: 'exponential', delay: 200 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    });
  }

  async take(max: number, signal?: AbortSignal): Promise<J[]> {
    const worker = this.#ensureWorker();
    const out: J[] = this.#carry ? [this.#carry] : [];
    this.#carry = undefined;
    while (!signal?.aborted || out.length > 0) {
      // Block (at most the worker's drainDelay, 1 s, so an abort is noticed) only while the batch is empty.
      const bull: Job | undefined = await worker.getNextJob(this.#token, { block: out.length === 0 });
      if (!bull) {
        if (out.length > 0) break;
        continue;
      }
      const job = this.#o.codec.decode(bull.data as Record<string, unknown>);
      if (this.#o.isStale && (await this.#o.isStale(job))) {
        await bull.moveToCompleted('stale', this.#token, false);
        continue;
      }
      this.#hold(job.id, bull);
      // A batch never mixes priorities (a final must not wait for partials' compute): keep it for the next take.
      if (out.length > 0 && this.#o.priority && this.#o.priority(job) !== this.#o.priority(out[0]!)) {
        this.#carry = job;
        break;
      }
      out.push(job);
      if (out.length >= max) break;
    }
    return out;
  }

  async complete(job: J): Promise<void> {
    const held = this.#release(job.id);
    if (held) await held.bull.moveToCompleted(null, this.#token, false);
  }

  async fail(job: J, error: EarshotError): Promise<boolean> {
    const held = this.#release(job.id);
    if (!held) return false;
    const permanent = PERMANENT_ERRORS.has(error.code);
    const dead = permanent || held.bull.attemptsMade + 1 >= this.#o.attempts;
    // BullMQ retries unless the error is unrecoverable; the message keeps earshot's code for the dead-letter view.
    const reason = `${error.code}: ${error.message}`;
    await held.bull.moveToFailed(permanent ? new UnrecoverableError(reason) : new Error(reason), this.#token, false);
    return dead;
  }

  async stats(): Promise<QueueStats> {
    const c = await this.#queue.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'failed');
    return {
      waiting: (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0),
      active: c.active ?? 0,
      dead: c.failed ?? 0,
    };
  }

  /** Jobs that failed every attempt (newest first), for /health/full. */
  async deadLetters(limit = 20): Promise<{ id: string; reason: string; at: number }[]> {
    const jobs = await this.#queue.getFailed(0, limit - 1);
    return jobs.map((j) => ({ id: j.id ?? '', reason: j.failedReason, at: j.finishedOn ?? 0 }));
  }

  async close(): Promise<void> {
    // Jobs still held were never worked on (the carried one, taken for a later batch): back to the queue at once
    // for another runner, instead of waiting out their lock as if this runner had died.
    for (const held of this.#held.values()) {
      clearInterval(held.renew);
      await held.bull.moveToWait(this.#token).catch(() => undefined);
    }
    this.#held.clear();
    this.#carry = undefined;
    await this.#worker?.close(true);
    await this.#queue.close();
  }

  #ensureWorker(): Worker {
    if (!this.#worker) {
      const lockDuration = this.#o.lockMs;
      this.#worker = new Worker(this.#o.name, null, {
        connection: quiet(this.#o.connection.duplicate()),
        prefix: this.#o.prefix,
        autorun: false,
        lockDuration,
        stalledInterval: Math.max(500, Math.floor(lockDuration / 2)),
        // A stalled job is one whose runner died; it is redelivered, not failed, up to this many times.
        maxStalledCount: 10,
        drainDelay: 1,
      });
      this.#worker.on('error', (err) =>
        this.#o.logger.warn({ queue: this.#o.name, err: err.message }, 'queue worker error'),
      );
      void this.#worker
        .startStalledCheckTimer()
        .catch((err: unknown) => this.#o.logger.warn({ err }, 'stalled check failed'));
    }
    return this.#worker;
  }

  #hold(id: string, bull: Job): void {
    // Manual fetching does not renew locks by itself: keep the job ours while the engine works on it.
    const renew = setInterval(
      () => {
        bull.extendLock(this.#token, this.#o.lockMs).catch(() => undefined);
      },
      Math.max(250, Math.floor(this.#o.lockMs / 3)),
    );
    renew.unref();
    this.#held.set(id, { bull, renew });
  }

  #release(id: string): Held | undefined {
    const held = this.#held.get(id);
    if (held) clearInterval(held.renew);
    this.#held.delete(id);
    return held;
  }
}
