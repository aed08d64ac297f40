/** In-process per-session result logs: the embedded default's stand-in for one Redis Stream per session. */
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

  /** A log is forgotten `retentionMs` after its last append, like the Redis driver's key expiry. */
  constructor(retentionMs = 10 * 60_000) {
    this.#retentionMs = retentionMs;
  }

  async append(session: string, result: SessionResult): Promise<void> {
    const log = this.#log(session);
    const entry = { cursor: String(log.entries.length + 1), result };
    log.entries.push(entry);
    clearTimeout(log.expiry);
    log.expiry = setTimeout(() => this.#logs.delete(session), this.#retentionMs).unref();
    for (const listener of log.listeners) listener(entry);
  }

  subscribe(session: string, cursor: string, listener: (entry: LoggedResult) => void): () => void {
    const log = this.#log(session);
    for (const entry of log.entries.slice(Number(cursor))) listener(entry);
    log.listeners.add(listener);
    return () => log.listeners.delete(listener);
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
    }
    return log;
  }
}
