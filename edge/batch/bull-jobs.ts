/**
 * Async batch jobs on BullMQ (the `batch` queue), for edges joined by Redis: a job accepted by one edge is run by
 * whichever edge's worker is free. BullMQ's stalled-job check hands the job of an edge that died to another edge;
 * the rerun finds the utterances already transcribed in the session's result log (see transcriber.ts).
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ERROR_CODES, toEarshotError, type ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { BatchJobs, BatchJobSpec, BatchJobState, BatchJobStatus, BatchProcessor } from './jobs.ts';

export interface BullBatchJobsOptions {
  connection: Redis;
  prefix: string;
  name: string;
  concurrency: number;
  retentionMs: number;
  logger: Logger;
}

const STATUS: Record<string, BatchJobStatus> = { completed: 'completed', failed: 'failed', active: 'running' };

export class BullBatchJobs implements BatchJobs {
  readonly #o: BullBatchJobsOptions;
  readonly #queue: Queue;
  #worker: Worker | undefined;

  constructor(options: BullBatchJobsOptions) {
    this.#o = options;
    this.#queue = new Queue(options.name, { connection: options.connection, prefix: options.prefix });
    this.#queue.on('error', (err) => options.logger.debug({ err: err.message }, 'batch queue error'));
  }

  start(processor: BatchProcessor): void {
    const connection = this.#o.connection.duplicate();
    connection.on('error', () => undefined); // the main connection reports Redis trouble once
    this.#worker = new Worker(
      this.#o.name,
      async (job: Job) => {
        try {
          await processor(
            job.data as BatchJobSpec,
            (done, total) => void job.updateProgress({ done, total }).catch(() => undefined),
          );
        } catch (err) {
          // Failures are the file's or the request's (bad language, undecodable audio): running it again would not help.
          const error = toEarshotError(err);
          throw new UnrecoverableError(`${error.code}: ${error.message}`);
        }
      },
      { connection, prefix: this.#o.prefix, concurrency: this.#o.concurrency },
    );
    this.#worker.on('error', (err) => this.#o.logger.warn({ err: err.message }, 'batch worker error'));
  }

  async submit(spec: BatchJobSpec): Promise<void> {
    const age = Math.ceil(this.#o.retentionMs / 1000);
    await this.#queue.add(this.#o.name, spec, {
      jobId: spec.id,
      attempts: 1,
      removeOnComplete: { age },
      removeOnFail: { age },
    });
  }

  async get(id: string): Promise<BatchJobState | undefined> {
    const job = await this.#queue.getJob(id);
    if (!job) return undefined;
    const status = STATUS[await job.getState()] ?? 'queued';
    const progress =
      typeof job.progress === 'object' && job.progress !== null
        ? (job.progress as { done: number; total: number })
        : { done: 0, total: 0 };
    return {
      spec: job.data as BatchJobSpec,
      status,
      progress,
      ...(job.finishedOn ? { finishedAt: job.finishedOn } : {}),
      ...(status === 'failed' ? { error: parseReason(job.failedReason) } : {}),
    };
  }

  async close(): Promise<void> {
    // Without waiting for a running job: its lock lapses and BullMQ's stalled check gives it to another edge.
    await this.#worker?.close(true);
    await this.#queue.close();
  }
}

/** The failed reason is `code: message` (see the worker above); anything else is an internal error. */
function parseReason(reason: string | undefined): { code: ErrorCode; message: string } {
  const match = /^(\w+): ([\s\S]*)$/.exec(reason ?? '');
  if (match && match[1]! in ERROR_CODES) return { code: match[1] as ErrorCode, message: match[2]! };
  return { code: 'internal', message: reason ?? 'the job failed' };
}
