/**
 * In-process per-session result logs: the embedded default's stand-in for one Redis Stream per session. A log is
 * forgotten `retentionMs` after its last activity (an append, or its last reader leaving), like the Redis driver's
 * key expiry; a log that was only read, never written (a session that started and vanished), goes the same way.
 */
import type { SessionResult } from './jobs.ts';
import type { LoggedResult, ResultLog } from './ports.ts';

interface SessionLog {
  entries: LoggedResult[];
  listeners: Set<(entry: LoggedResult) => void>;
  expiry?: ReturnType<typeof setTimeout>;
}

export class MemoryResultLog implements ResultLog {
  readonly #logs = new Map<string, SessionLog>();
  readonly #retentionMs: number;

  constructor(retentionMs = 10 * 60_000) {
    this.#retentionMs = retentionMs;
  }

  /** Logs held (for tests and metrics). */
  get size(): number {
    return this.#logs.size;
  }

  async append(session: string, result: SessionResult): Promise<void> {
    const log = this.#log(session);
    const entry = { cursor: String(log.entries.length + 1), result };
    log.entries.push(entry);
    this.#expireLater(session, log);
    for (const listener of log.listeners) listener(entry);
  }

  subscribe(session: string, cursor: string, listener: (entry: LoggedResult) => void): () => void {
    const log = this.#log(session);
    for (const entry of log.entries.slice(Number(cursor))) listener(entry);
    log.listeners.add(listener);
    return () => {
      if (log.listeners.delete(listener) && log.listeners.size === 0 && this.#logs.get(session) === log)
        this.#expireLater(session, log);
    };
  }

  async length(session: string): Promise<number> {
    return this.#logs.get(session)?.entries.length ?? 0;
  }

  async close(): Promise<void> {
    for (const log of this.#logs.values()) clearTimeout(log.expiry);
    this.#logs.clear();
  }

  #log(session: string): SessionLog {
    let log = this.#logs.get(session);
    if (!log) {
      log = { entries: [], listeners: new Set() };
      this.#logs.set(session, log);
      this.#expireLater(session, log);
    }
    return log;
  }

  /** Forgets the log after the retention time; one still read by someone is kept while they read. */
  #expireLater(session: string, log: SessionLog): void {
    clearTimeout(log.expiry);
    log.expiry = setTimeout(() => {
      if (log.listeners.size > 0) return this.#expireLater(session, log);
      if (this.#logs.get(session) === log) this.#logs.delete(session);
    }, this.#retentionMs);
    log.expiry.unref?.();
  }
}
