/**
 * A connection's hold on the right to speak into a session (SpeakerLeases, shared/queue/ports.ts). Taking it
 * waits for the current holder to hand over (the owner's newer connection replaces an older one, which may sit on
 * another edge, or on a dead one whose lease runs out); held, it is renewed in the background, and the holder is
 * told once when another connection asks for it or it was lost.
 */
import type { SpeakerLeases } from '../../shared/queue/ports.ts';

export interface SpeakerLeaseOptions {
  /** A lease not renewed for this long is free (an edge that died). */
  ttlMs: number;
  /** How long `acquire` waits for the holder to hand over before giving up. */
  waitMs: number;
  /** Called once when another connection asks for the lease, or it was lost: stop queueing audio, then release. */
  onYield: (why: 'yield' | 'lost') => void;
}

const POLL_MS = 100;

export class SpeakerLease {
  readonly #leases: SpeakerLeases;
  readonly #session: string;
  readonly #holder: string;
  readonly #o: SpeakerLeaseOptions;
  #renewal: ReturnType<typeof setInterval> | undefined;
  #yielded = false;

  private constructor(leases: SpeakerLeases, session: string, holder: string, options: SpeakerLeaseOptions) {
    this.#leases = leases;
    this.#session = session;
    this.#holder = holder;
    this.#o = options;
  }

  /** The lease, once the current holder has released it (or it expired); null if that took longer than `waitMs`. */
  static async acquire(
    leases: SpeakerLeases,
    session: string,
    holder: string,
    options: SpeakerLeaseOptions,
    cancelled: () => boolean = () => false,
  ): Promise<SpeakerLease | null> {
    const deadline = Date.now() + options.waitMs;
    while (!(await leases.acquire(session, holder, options.ttlMs))) {
      if (Date.now() >= deadline || cancelled()) return null;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const lease = new SpeakerLease(leases, session, holder, options);
    lease.#renewal = setInterval(() => void lease.#renew(), Math.max(POLL_MS, Math.floor(options.ttlMs / 4)));
    lease.#renewal.unref?.();
    return lease;
  }

  async #renew(): Promise<void> {
    const state = await this.#leases.renew(this.#session, this.#holder, this.#o.ttlMs).catch(() => 'kept' as const);
    if (state === 'kept' || this.#yielded) return;
    this.#yielded = true;
    this.#o.onYield(state);
  }

  /** Stops renewing and frees the lease for the next connection. */
  async release(): Promise<void> {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
    await this.#leases.release(this.#session, this.#holder);
  }
}
