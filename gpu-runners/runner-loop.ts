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

  constructor(role: string, queue: JobQueue<J>, batchSize: number, logger: Logger) {
    this.role = role;
    this.#queue = queue;
    this.#batchSize = batchSize;
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

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const batch = await this.#queue.take(this.#batchSize, signal);
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
