/**
 * Auth state a Workers deployment shares across its isolates and session relays, in Durable Objects (the Node
 * edge's Redis keys): per-key request counts and session/viewer slots (one object per key, so keys do not contend),
 * the deployment's session cap (the object named DEPLOYMENT), and revoked tokens (the object named REVOCATIONS).
 *
 * Counts live in the object's memory, as the Node edge's MemoryLimiter keeps them: if the object is evicted (no
 * request for a while, a deploy) counts restart from zero, which errs towards admitting. Revocations are stored, so
 * they survive that. A relay that dies without releasing its slots (a crash) leaks them until the object restarts;
 * each slot is therefore held with an expiry that its holder renews (SLOT_TTL_MS).
 */
import { DurableObject } from 'cloudflare:workers';
import { MemoryLimiter, type Limiter, type RateCheck } from '../../auth/limits.ts';
import type { Revocations } from '../../auth/revocations.ts';
import type { WorkersEnv } from './env.ts';

export const DEPLOYMENT = '~deployment';
const REVOCATIONS = '~revocations';
/** A slot not renewed this long is freed: its relay is gone. */
const SLOT_TTL_MS = 60_000;
const RENEW_MS = 20_000;

export class AuthState extends DurableObject<WorkersEnv> {
  readonly #limiter = new MemoryLimiter();
  /** Slots held per counter: id → expiry. */
  readonly #slots = new Map<string, Map<string, number>>();

  hit(key: string, perMinute: number): Promise<RateCheck> {
    return this.#limiter.hit(key, perMinute);
  }

  acquire(counter: string, max: number): string | null {
    const now = Date.now();
    const held = this.#slots.get(counter) ?? new Map<string, number>();
    for (const [id, until] of held) if (until < now) held.delete(id);
    if (held.size >= max) return null;
    const id = crypto.randomUUID();
    held.set(id, now + SLOT_TTL_MS);
    this.#slots.set(counter, held);
    return id;
  }

  renew(counter: string, id: string): void {
    const held = this.#slots.get(counter);
    if (held?.has(id)) held.set(id, Date.now() + SLOT_TTL_MS);
  }

  release(counter: string, id: string): void {
    this.#slots.get(counter)?.delete(id);
  }

  async revoke(tokenId: string, expiresAt: number): Promise<void> {
    await this.ctx.storage.put(`revoked:${tokenId}`, expiresAt);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    const until = await this.ctx.storage.get<number>(`revoked:${tokenId}`);
    return until !== undefined && until >= Date.now() / 1000;
  }
}

type Namespace = WorkersEnv['AUTH_STATE'];

/** Takes one of `max` slots of `counter` (kept by the object named `object`); the returned function frees it. */
export async function acquireSlot(
  ns: Namespace,
  object: string,
  counter: string,
  max: number,
): Promise<(() => void) | null> {
  if (!Number.isFinite(max)) return () => undefined;
  const state = ns.get(ns.idFromName(object));
  const id = await state.acquire(counter, max);
  if (id === null) return null;
  const renewal = setInterval(() => void state.renew(counter, id).catch(() => undefined), RENEW_MS);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    clearInterval(renewal);
    void state.release(counter, id).catch(() => undefined);
  };
}

/** The Limiter port on AuthState objects: one per key. */
export class DurableLimiter implements Limiter {
  readonly #ns: Namespace;
  constructor(ns: Namespace) {
    this.#ns = ns;
  }
  hit(key: string, perMinute: number): Promise<RateCheck> {
    if (!Number.isFinite(perMinute)) return Promise.resolve({ ok: true });
    return this.#ns.get(this.#ns.idFromName(`key:${key.split('/')[0]}`)).hit(key, perMinute);
  }
  acquire(key: string, max: number): Promise<(() => void) | null> {
    // `key` is the key's id, or `id/viewers` for its viewers: both counted by the key's own object.
    return acquireSlot(this.#ns, `key:${key.split('/')[0]}`, key, max);
  }
  async close(): Promise<void> {}
}

export class DurableRevocations implements Revocations {
  readonly #ns: Namespace;
  constructor(ns: Namespace) {
    this.#ns = ns;
  }
  #state() {
    return this.#ns.get(this.#ns.idFromName(REVOCATIONS));
  }
  revoke(tokenId: string, expiresAt: number): Promise<void> {
    return this.#state().revoke(tokenId, expiresAt);
  }
  isRevoked(tokenId: string): Promise<boolean> {
    return this.#state().isRevoked(tokenId);
  }
}
