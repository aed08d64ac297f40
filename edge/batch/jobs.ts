/**
 * Async batch jobs (`?async=true`): a port with an in-process driver (here) and a BullMQ driver (bull-jobs.ts) for
 * deployments on Redis, where any edge's worker may run a job that another edge accepted. The processor does the
 * work (service.ts); drivers only queue, run with bounded concurrency, and remember state and progress.
 */
import type { ErrorCode } from '../../shared/errors.ts';
import { toEarshotError } from '../../shared/errors.ts';
import type { BatchParams } from './params.ts';

export interface BatchJobSpec {
  id: string;
  /** The API key that submitted it (`anonymous` with auth off): only it may read the job. */
  owner: string;
  params: BatchParams;
  createdAt: number;
}

export type BatchJobStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface BatchJobState {
  spec: BatchJobSpec;
  status: BatchJobStatus;
  progress: { done: number; total: number };
  finishedAt?: number;
  error?: { code: ErrorCode; message: string };
}

export type Progress = (done: number, total: number) => void;
export type BatchProcessor = (spec: BatchJobSpec, progress: Progress) => Promise<void>;

export interface BatchJobs {
  /** Begins taking jobs with this processor. */
  start(processor: BatchProcessor): void;
  submit(spec: BatchJobSpec): Promise<void>;
  get(id: string): Promise<BatchJobState | undefined>;
  close(): Promise<void>;
}

export class MemoryBatchJobs implements BatchJobs {
  readonly #jobs = new Map<string, BatchJobState>();
  readonly #waiting: string[] = [];
  readonly #concurrency: number;
  readonly #retentionMs: number;
  #processor: BatchProcessor | undefined;
  #running = 0;
  #closed = false;

  constructor(options: { concurrency: number; retentionMs: number }) {
    this.#concurrency = options.concurrency;
    this.#retentionMs = options.retentionMs;
  }

  start(processor: BatchProcessor): void {
    this.#processor = processor;
    this.#pump();
  }

  async submit(spec: BatchJobSpec): Promise<void> {
    this.#jobs.set(spec.id, { spec, status: 'queued', progress: { done: 0, total: 0 } });
    this.#waiting.push(spec.id);
    this.#pump();
  }

  async get(id: string): Promise<BatchJobState | undefined> {
    const state = this.#jobs.get(id);
    return state && structuredClone(state);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #pump(): void {
    while (this.#processor && !this.#closed && this.#running < this.#concurrency && this.#waiting.length > 0) {
      const state = this.#jobs.get(this.#waiting.shift()!);
      if (state) void this.#run(this.#processor, state);
    }
  }

  async #run(processor: BatchProcessor, state: BatchJobState): Promise<void> {
    this.#running += 1;
    state.status = 'running';
    try {
      await processor(state.spec, (done, total) => (state.progress = { done, total }));
      state.status = 'completed';
    } catch (err) {
      const error = toEarshotError(err);
      state.status = 'failed';
      state.error = { code: error.code, message: error.message };
    }
    state.finishedAt = Date.now();
    setTimeout(() => this.#jobs.delete(state.spec.id), this.#retentionMs).unref();
    this.#running -= 1;
    this.#pump();
  }
}
