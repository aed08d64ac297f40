/**
 * A bounded queue with bounded concurrency for hook work (LLM calls, webhook deliveries): the hooks' own lane, so
 * nothing a slow or failing endpoint does can hold up captions. When it is full the least important waiting task
 * (lowest priority, oldest first) is dropped, or the new one if it is the least important.
 */
export interface Task {
  /** Higher runs first and is dropped last. */
  priority: number;
  run(): Promise<void>;
  /** Called instead of run() when the task is dropped for room. */
  dropped?(): void;
}

export class WorkQueue {
  readonly #concurrency: number;
  readonly #maxQueue: number;
  #waiting: Task[] = [];
  #running = 0;
  #idle: (() => void)[] = [];

  constructor(options: { concurrency: number; maxQueue: number }) {
    this.#concurrency = options.concurrency;
    this.#maxQueue = options.maxQueue;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  get running(): number {
    return this.#running;
  }

  push(task: Task): void {
    if (this.#waiting.length >= this.#maxQueue) {
      let victim = -1;
      for (let i = 0; i < this.#waiting.length; i++)
        if (victim < 0 || this.#waiting[i]!.priority < this.#waiting[victim]!.priority) victim = i;
      if (victim < 0 || this.#waiting[victim]!.priority > task.priority) return task.dropped?.();
      this.#waiting.splice(victim, 1)[0]!.dropped?.();
    }
    // Stable by priority: after every waiting task of the same or higher priority.
    let at = this.#waiting.length;
    while (at > 0 && this.#waiting[at - 1]!.priority < task.priority) at -= 1;
    this.#waiting.splice(at, 0, task);
    this.#next();
  }

  #next(): void {
    while (this.#running < this.#concurrency && this.#waiting.length > 0) {
      const task = this.#waiting.shift()!;
      this.#running += 1;
      void task
        .run()
        .catch(() => undefined)
        .finally(() => {
          this.#running -= 1;
          this.#next();
          if (this.#running === 0 && this.#waiting.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
        });
    }
  }

  /** Resolves when nothing is running or waiting. */
  whenIdle(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
