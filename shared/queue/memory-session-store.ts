/** In-process session metadata (the embedded default); the Redis driver keeps the same in a hash per session. */
import type { SessionMeta, SessionStore } from './ports.ts';

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, SessionMeta>();
  readonly #retentionMs: number;

  /** A stopped session is forgotten after `retentionMs`, like the Redis driver's key expiry. */
  constructor(retentionMs = 10 * 60_000) {
    this.#retentionMs = retentionMs;
  }

  async create(meta: SessionMeta): Promise<void> {
    this.#sessions.set(meta.id, structuredClone(meta));
  }

  async get(id: string): Promise<SessionMeta | undefined> {
    const meta = this.#sessions.get(id);
    return meta && structuredClone(meta);
  }

  async update(id: string, patch: Partial<Omit<SessionMeta, 'id'>>): Promise<void> {
    const meta = this.#sessions.get(id);
    if (!meta) return;
    Object.assign(meta, patch);
    if (patch.stopped) setTimeout(() => this.#sessions.delete(id), this.#retentionMs).unref();
  }

  async close(): Promise<void> {
    this.#sessions.clear();
  }
}
