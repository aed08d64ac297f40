/**
 * The loop every runner shares: take a batch, process it, repeat. `stop()` drains: the batch in hand is finished
 * before the loop returns.
 */
import type { Logger } from '../shared/logger.ts';
import type { JobQueue } from '../shared/queue/ports.ts';

export type RunnerState = 'idle' | 'running' | 'stopping' | 'stopped';

export abstract class RunnerLoop<J extends { id: string }> {
  readonly role: string;
  protected readonly logger: Logger;
  processed = 0;
  failed = 0;
  #state: RunnerState = 'idle';
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();
  readonly #queue: JobQueue<J>;
  readonly #batchSize: number;
  readonly #maxWaitMs: number;

  /**
   * `maxWaitMs`: after the first job arrives, how long to wait for more to fill the batch. Batching across
   * sessions trades this much latency for throughput; 0 processes whatever is queued at once.
   */
  constructor(role: string, queue: JobQueue<J>, batchSize: number, logger: Logger, maxWaitMs = 0) {
    this.role = role;
    this.#queue = queue;
    this.#batchSize = batchSize;
    this.#maxWaitMs = maxWaitMs;
    this.logger = logger.child({ runner: role });
  }

  get state(): RunnerState {
    return this.#state;
  }

  start(): void {
    if (this.#loop) return;
    this.#state = 'running';
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    if (this.#state === 'running') this.#state = 'stopping';
    this.#stop.abort();
    await this.#loop;
    this.#state = 'stopped';
  }

  protected abstract process(batch: J[], signal: AbortSignal): Promise<void>;
  /** Processes one job with retries; must record failures itself and never throw. */
  protected abstract processAlone(job: J, signal: AbortSignal): Promise<void>;

  async #collect(signal: AbortSignal): Promise<J[]> {
    const batch = await this.#queue.take(this.#batchSize, signal);
    if (batch.length === 0 || batch.length >= this.#batchSize || this.#maxWaitMs <= 0) return batch;
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.#maxWaitMs)]);
    while (batch.length < this.#batchSize && !deadline.aborted) {
      batch.push(...(await this.#queue.take(this.#batchSize - batch.length, deadline)));
    }
    return batch;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const batch = await this.#collect(signal);
      if (batch.length === 0) continue;
      const started = performance.now();
      try {
        await this.process(batch, new AbortController().signal);
      } catch {
        for (const job of batch) await this.processAlone(job, new AbortController().signal);
      } finally {
        await this.#queue.complete(batch);
      }
      this.processed += batch.length;
      this.logger.debug({ jobs: batch.map((j) => j.id), ms: Math.round(performance.now() - started) }, 'batch done');
    }
  }
}
