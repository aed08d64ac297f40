/**
 * ResultLog on one Redis Stream per session. Any edge can read a session's stream from any position, which is
 * what lets a client resume on another edge. Streams expire `retentionMs` after their last entry.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import type { SessionResult } from '../jobs.ts';
import type { LoggedResult, ResultLog } from '../ports.ts';
import { reconnectDelayMs } from './connection.ts';
import type { RedisKeys } from './keys.ts';

const MAX_ENTRIES = 50_000;

export class StreamResultLog implements ResultLog {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #retentionMs: number;
  readonly #logger: Logger;
  readonly #readers = new Set<Redis>();

  constructor(redis: Redis, keys: RedisKeys, retentionMs: number, logger: Logger) {
    this.#redis = redis;
    this.#keys = keys;
    this.#retentionMs = retentionMs;
    this.#logger = logger;
  }

  async append(session: string, result: SessionResult): Promise<void> {
    const key = this.#keys.results(session);
    await this.#redis
      .multi()
      .xadd(key, 'MAXLEN', '~', MAX_ENTRIES, '*', 'r', JSON.stringify(result))
      .pexpire(key, this.#retentionMs)
      .exec();
  }

  subscribe(session: string, cursor: string, listener: (entry: LoggedResult) => void): () => void {
    const key = this.#keys.results(session);
    // A blocking read needs its own connection.
    const reader = this.#redis.duplicate();
    reader.on('error', () => undefined); // the read loop below handles failures
    this.#readers.add(reader);
    let active = true;
    void (async () => {
      let position = cursor;
      let failures = 0;
      while (active) {
        try {
          const reply = (await reader.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', key, position)) as
            [string, [string, string[]][]][] | null;
          failures = 0;
          for (const [, entries] of reply ?? []) {
            for (const [id, fields] of entries) {
              position = id;
              const raw = fields[fields.indexOf('r') + 1];
              if (active && raw) listener({ cursor: id, result: JSON.parse(raw) as SessionResult });
            }
          }
        } catch (err) {
          if (!active) break;
          // Redis went away: keep the position and read on from it once it is back.
          this.#logger.debug({ session, err: (err as Error).message }, 'stream read failed; retrying');
          await new Promise((r) => setTimeout(r, reconnectDelayMs(failures++)));
        }
      }
    })();
    return () => {
      active = false;
      this.#readers.delete(reader);
      reader.disconnect();
    };
  }

  async length(session: string): Promise<number> {
    return this.#redis.xlen(this.#keys.results(session));
  }

  async close(): Promise<void> {
    for (const reader of this.#readers) reader.disconnect();
    this.#readers.clear();
  }
}
