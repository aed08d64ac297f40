/**
 * In-process session metadata (the embedded default); the Redis driver keeps the same in a hash per session.
 * Like the Redis key, a session is forgotten `retentionMs` after its last change, stopped or not: a session whose
 * client vanished without `stop` must not stay in memory for the life of the process.
 */
import type { SessionMeta, SessionStore } from './ports.ts';

interface Kept {
  meta: SessionMeta;
  expiry: ReturnType<typeof setTimeout>;
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Kept>();
  readonly #retentionMs: number;

  constructor(retentionMs = 10 * 60_000) {
    this.#retentionMs = retentionMs;
  }

  /** Sessions held (for tests and metrics). */
  get size(): number {
    return this.#sessions.size;
  }

  async create(meta: SessionMeta): Promise<void> {
    this.#keep(meta.id, structuredClone(meta));
  }

  async get(id: string): Promise<SessionMeta | undefined> {
    const kept = this.#sessions.get(id);
    return kept && structuredClone(kept.meta);
  }

  async update(id: string, patch: Partial<Omit<SessionMeta, 'id'>>): Promise<void> {
    const kept = this.#sessions.get(id);
    if (!kept) return;
    this.#keep(id, Object.assign(kept.meta, patch));
  }

  async close(): Promise<void> {
    for (const kept of this.#sessions.values()) clearTimeout(kept.expiry);
    this.#sessions.clear();
  }

  #keep(id: string, meta: SessionMeta): void {
    clearTimeout(this.#sessions.get(id)?.expiry);
    const expiry = setTimeout(() => this.#sessions.delete(id), this.#retentionMs);
    expiry.unref?.();
    this.#sessions.set(id, { meta, expiry });
  }
}
