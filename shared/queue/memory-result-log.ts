/** In-process per-session result logs: the embedded default's stand-in for one Redis Stream per session. */
import type { SessionResult } from './jobs.ts';
import type { LoggedResult, ResultLog } from './ports.ts';

interface SessionLog {
  entries: LoggedResult[];
  listeners: Set<(entry: LoggedResult) => void>;
}

export class MemoryResultLog implements ResultLog {
  readonly #logs = new Map<string, SessionLog>();

  async append(session: string, result: SessionResult): Promise<number> {
    const log = this.#log(session);
    const entry = { pos: log.entries.length + 1, result };
    log.entries.push(entry);
    for (const listener of log.listeners) listener(entry);
    return entry.pos;
  }

  subscribe(session: string, afterPos: number, listener: (entry: LoggedResult) => void): () => void {
    const log = this.#log(session);
    for (const entry of log.entries.slice(afterPos)) listener(entry);
    log.listeners.add(listener);
    return () => log.listeners.delete(listener);
  }

  async drop(session: string): Promise<void> {
    this.#logs.delete(session);
  }

  async close(): Promise<void> {
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
