/**
 * Per-key limits: requests per minute and concurrent realtime sessions. The port has an in-process driver (one
 * edge) and a Redis driver (redis-limiter.ts), so a deployment of many edges enforces one limit per key, not one
 * per edge.
 */

export interface Limits {
  maxSessions: number;
  requestsPerMinute: number;
  /** Viewers (`/v1/watch`) connected at once. */
  maxViewers: number;
}

export type RateCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface Limiter {
  /** Counts one request of `key`; refused once the key has made `perMinute` in the current minute. */
  hit(key: string, perMinute: number): Promise<RateCheck>;
  /** Takes one of `max` session slots of `key`; null when all are taken. Call the returned function to free it. */
  acquire(key: string, max: number): Promise<(() => void) | null>;
  close(): Promise<void>;
}

export const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows: a key can burst up to twice its limit across a window boundary, which is the usual
 * trade for O(1) state per key (and the same arithmetic the Redis driver does with one INCR).
 */
export class MemoryLimiter implements Limiter {
  readonly #requests = new Map<string, { window: number; count: number }>();
  readonly #sessions = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async hit(key: string, perMinute: number): Promise<RateCheck> {
    const now = this.#now();
    const window = Math.floor(now / WINDOW_MS);
    const entry = this.#requests.get(key);
    if (!entry || entry.window !== window) {
      this.#requests.set(key, { window, count: 1 });
      this.#sweep(window);
      return { ok: true };
    }
    entry.count += 1;
    if (entry.count <= perMinute) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.ceil(((window + 1) * WINDOW_MS - now) / 1000) };
  }

  async acquire(key: string, max: number): Promise<(() => void) | null> {
    const held = this.#sessions.get(key) ?? 0;
    if (held >= max) return null;
    this.#sessions.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#sessions.get(key) ?? 1) - 1;
      if (left > 0) this.#sessions.set(key, left);
      else this.#sessions.delete(key);
    };
  }

  async close(): Promise<void> {}

  /** Old windows are dropped lazily, so idle keys do not accumulate. */
  #sweep(window: number): void {
    if (this.#requests.size < 1024) return;
    for (const [key, entry] of this.#requests) if (entry.window !== window) this.#requests.delete(key);
  }
}
