/** In-process speaker leases (the embedded default); the Redis driver keeps the same in two expiring keys. */
import type { SpeakerLeases } from './ports.ts';

interface Held {
  holder: string;
  until: number;
}

export class MemorySpeakerLeases implements SpeakerLeases {
  readonly #leases = new Map<string, Held>();
  readonly #requests = new Map<string, Held>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async acquire(session: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    this.#sweep(now);
    const lease = this.#live(this.#leases, session, now);
    if (!lease || lease.holder === holder) {
      this.#leases.set(session, { holder, until: now + ttlMs });
      if (this.#live(this.#requests, session, now)?.holder === holder) this.#requests.delete(session);
      return true;
    }
    this.#requests.set(session, { holder, until: now + ttlMs });
    return false;
  }

  async renew(session: string, holder: string, ttlMs: number): Promise<'kept' | 'yield' | 'lost'> {
    const now = this.#now();
    const lease = this.#live(this.#leases, session, now);
    if (lease?.holder !== holder) return 'lost';
    lease.until = now + ttlMs;
    return this.#live(this.#requests, session, now) ? 'yield' : 'kept';
  }

  async release(session: string, holder: string): Promise<void> {
    if (this.#leases.get(session)?.holder === holder) this.#leases.delete(session);
  }

  /** Expired entries of sessions nobody touches again (a dead holder's, a request never taken up) are dropped. */
  #sweep(now: number): void {
    if (this.#leases.size + this.#requests.size < 1024) return;
    for (const map of [this.#leases, this.#requests])
      for (const [session, entry] of map) if (entry.until <= now) map.delete(session);
  }

  /** The entry if it has not expired; expired ones are dropped as they are met. */
  #live(map: Map<string, Held>, session: string, now: number): Held | undefined {
    const entry = map.get(session);
    if (entry && entry.until <= now) map.delete(session);
    return entry && entry.until > now ? entry : undefined;
  }
}
