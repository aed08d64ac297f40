/**
 * One result-log subscription per watched session on this edge, shared by all its viewers. With the Redis driver
 * each subscription is a blocking reader on its own connection, so an audience of hundreds would otherwise open
 * hundreds of connections; here the session's entries are read once, kept while anyone watches (a late viewer
 * is replayed them), and the subscription ends with the last viewer. Viewers stay independent: each has its own
 * sequencer and socket; this only shares the reading.
 */
import type { LoggedResult, ResultLog } from '../../shared/queue/ports.ts';

type Listener = (entry: LoggedResult) => void;

interface Shared {
  entries: LoggedResult[];
  listeners: Set<Listener>;
  unsubscribe: () => void;
}

export class SharedLogReader implements Pick<ResultLog, 'subscribe'> {
  readonly #log: Pick<ResultLog, 'subscribe'>;
  readonly #sessions = new Map<string, Shared>();

  constructor(log: Pick<ResultLog, 'subscribe'>) {
    this.#log = log;
  }

  /** Sessions read right now (for tests and metrics). */
  get reading(): number {
    return this.#sessions.size;
  }

  subscribe(session: string, cursor: string, listener: Listener): () => void {
    // Only readers from the start share; anything else reads the log directly.
    if (cursor !== '0') return this.#log.subscribe(session, cursor, listener);
    let shared = this.#sessions.get(session);
    if (!shared) {
      const created: Shared = { entries: [], listeners: new Set(), unsubscribe: () => undefined };
      this.#sessions.set(session, created);
      created.unsubscribe = this.#log.subscribe(session, '0', (entry) => {
        created.entries.push(entry);
        for (const l of [...created.listeners]) l(entry);
      });
      shared = created;
    }
    for (const entry of shared.entries) listener(entry);
    shared.listeners.add(listener);
    const owner = shared;
    return () => {
      if (!owner.listeners.delete(listener) || owner.listeners.size > 0) return;
      owner.unsubscribe();
      if (this.#sessions.get(session) === owner) this.#sessions.delete(session);
    };
  }
}
