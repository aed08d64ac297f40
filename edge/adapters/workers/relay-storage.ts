/**
 * A session relay's durable state, in its Durable Object's SQLite storage (synchronous, so a subscriber gets the
 * history and then live entries with nothing slipping between):
 *
 * - the session's metadata: the SessionStore a RealtimeSession creates and resumes from;
 * - the session's event log: every result the origin sent, in order, with the origin's cursor. Speakers and
 *   viewers replay from here, and a relay that lost its origin socket reconnects from the last cursor it stored,
 *   so nothing is missed and nothing is asked for twice.
 */
import { EarshotError } from '../../../shared/errors.ts';
import type { SessionResult } from '../../../shared/queue/jobs.ts';
import type { LoggedResult, ResultLog, SessionMeta, SessionStore } from '../../../shared/queue/ports.ts';

export class RelayStorage implements SessionStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec('CREATE TABLE IF NOT EXISTS meta (id TEXT PRIMARY KEY, json TEXT NOT NULL)');
    sql.exec(
      'CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY AUTOINCREMENT, origin_cursor TEXT NOT NULL, result TEXT NOT NULL)',
    );
  }

  async create(meta: SessionMeta): Promise<void> {
    // A relay holds one session; a `start` without `session` on a resume URL must not overwrite it.
    if (this.#meta(meta.id))
      throw new EarshotError(
        'invalid_message',
        `session ${meta.id} already exists: resume it with start {session, last_seq}`,
      );
    this.#sql.exec('INSERT INTO meta (id, json) VALUES (?, ?)', meta.id, JSON.stringify(meta));
  }

  async get(id: string): Promise<SessionMeta | undefined> {
    return this.#meta(id);
  }

  async update(id: string, patch: Partial<Omit<SessionMeta, 'id'>>): Promise<void> {
    const meta = this.#meta(id);
    if (meta) this.#sql.exec('UPDATE meta SET json = ? WHERE id = ?', JSON.stringify({ ...meta, ...patch }), id);
  }

  async close(): Promise<void> {}

  /** Stores a result from the origin; returns it as the relay's own log entry (cursor = position here). */
  record(originCursor: string, result: SessionResult): LoggedResult {
    const row = this.#sql
      .exec<{ idx: number }>(
        'INSERT INTO log (origin_cursor, result) VALUES (?, ?) RETURNING idx',
        originCursor,
        JSON.stringify(result),
      )
      .one();
    return { cursor: String(row.idx), result };
  }

  entriesAfter(cursor: string): LoggedResult[] {
    return this.#sql
      .exec<{ idx: number; result: string }>(
        'SELECT idx, result FROM log WHERE idx > ? ORDER BY idx',
        Number(cursor) || 0,
      )
      .toArray()
      .map((row) => ({ cursor: String(row.idx), result: JSON.parse(row.result) as SessionResult }));
  }

  /** Where to resume reading the origin's log. */
  originCursor(): string {
    return (
      this.#sql.exec<{ origin_cursor: string }>('SELECT origin_cursor FROM log ORDER BY idx DESC LIMIT 1').toArray()[0]
        ?.origin_cursor ?? '0'
    );
  }

  count(): number {
    return this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM log').one().n;
  }

  #meta(id: string): SessionMeta | undefined {
    const row = this.#sql.exec<{ json: string }>('SELECT json FROM meta WHERE id = ?', id).toArray()[0];
    return row ? (JSON.parse(row.json) as SessionMeta) : undefined;
  }
}

/**
 * The ResultLog a relay's speaker session and viewers read: history from storage, then what the origin sends.
 * Appends (the `ended` marker) go to the origin's log, from which they come back like any result.
 */
export class RelayResultLog implements ResultLog {
  readonly #storage: RelayStorage;
  readonly #forward: (result: SessionResult) => Promise<void>;
  readonly #onReaders: (count: number) => void;
  readonly #listeners = new Set<(entry: LoggedResult) => void>();

  /** `onReaders` hears the number of subscribers after each change: the relay keeps its origin link while any read. */
  constructor(
    storage: RelayStorage,
    forward: (result: SessionResult) => Promise<void>,
    onReaders: (count: number) => void,
  ) {
    this.#storage = storage;
    this.#forward = forward;
    this.#onReaders = onReaders;
  }

  get readers(): number {
    return this.#listeners.size;
  }

  async append(_session: string, result: SessionResult): Promise<void> {
    await this.#forward(result);
  }

  subscribe(_session: string, cursor: string, listener: (entry: LoggedResult) => void): () => void {
    for (const entry of this.#storage.entriesAfter(cursor)) listener(entry);
    // A distinct function per subscription, so the same listener subscribed twice counts twice.
    const own = (entry: LoggedResult) => listener(entry);
    this.#listeners.add(own);
    this.#onReaders(this.#listeners.size);
    return () => {
      if (this.#listeners.delete(own)) this.#onReaders(this.#listeners.size);
    };
  }

  /** A result from the origin: stored first, so a reader that subscribes later replays it. */
  received(originCursor: string, result: SessionResult): void {
    const entry = this.#storage.record(originCursor, result);
    for (const listener of [...this.#listeners]) listener(entry);
  }

  async length(): Promise<number> {
    return this.#storage.count();
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
