/** The streaming lane's per-runner queues in one process (the embedded default); see StreamRoutes in ports.ts. */
import type { SttJob } from './jobs.ts';
import { MemoryQueue } from './memory-queue.ts';
import type { SttQueue, StreamRoutes } from './ports.ts';

export class MemoryStreamRoutes implements StreamRoutes {
  readonly #queues = new Map<string, MemoryQueue<SttJob>>();
  readonly #attempts: number;

  constructor(attempts = 3) {
    this.#attempts = attempts;
  }

  queue(runner: string): SttQueue {
    let queue = this.#queues.get(runner);
    if (!queue) {
      // FIFO, nothing coalesced: each partial carries new audio the runner's state needs.
      queue = new MemoryQueue<SttJob>({ attempts: this.#attempts });
      this.#queues.set(runner, queue);
    }
    return queue;
  }

  async runners(): Promise<string[]> {
    return [...this.#queues.keys()];
  }

  async reclaim(runner: string, to: SttQueue): Promise<number> {
    const queue = this.#queues.get(runner);
    if (!queue) return 0;
    this.#queues.delete(runner);
    const finals = queue.takeWaiting().filter((job) => job.kind === 'final');
    await queue.close();
    for (const job of finals) await to.add(job);
    return finals.length;
  }

  async close(): Promise<void> {
    for (const queue of this.#queues.values()) await queue.close();
    this.#queues.clear();
  }
}
