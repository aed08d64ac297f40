/**
 * Reads many sessions' result streams over one Redis connection: the readers an edge cannot bound by its session
 * limit (viewers, transcript exports) must not cost a connection each, or enough of them exhaust Redis's
 * connection limit for the whole deployment. One blocking XREAD covers every stream being followed; a new
 * subscription interrupts it (CLIENT UNBLOCK) so the next read includes it.
 *
 * A subscription first reads its history with XRANGE on the shared command connection, while live entries the
 * blocking reader delivers meanwhile wait in a buffer; then the buffer is replayed past what the history held.
 * Entries are passed on only with ids above the subscription's last one, so nothing is missed or repeated.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import type { SessionResult } from '../jobs.ts';
import type { LoggedResult, ResultLog } from '../ports.ts';
import { reconnectDelayMs } from './connection.ts';
import type { RedisKeys } from './keys.ts';

type Listener = (entry: LoggedResult) => void;

interface Subscription {
  listener: Listener;
  /** Id of the last entry passed on ('0' before the first). */
  last: string;
  /** Live entries held while the history is read. */
  pending: LoggedResult[] | undefined;
}

interface Followed {
  /** Where the blocking read continues for this stream. */
  position: string;
  subscriptions: Set<Subscription>;
}

/** Stream ids `ms-seq`, compared as numbers. */
function after(id: string, than: string): boolean {
  const [a1 = 0, a2 = 0] = id.split('-').map(Number);
  const [b1 = 0, b2 = 0] = than.split('-').map(Number);
  return a1 > b1 || (a1 === b1 && a2 > b2);
}

function decode(id: string, fields: string[]): LoggedResult | undefined {
  const raw = fields[fields.indexOf('r') + 1];
  return raw ? { cursor: id, result: JSON.parse(raw) as SessionResult } : undefined;
}

export class MultiplexedStreamReader implements Pick<ResultLog, 'subscribe'> {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #logger: Logger;
  readonly #followed = new Map<string, Followed>();
  #reader: Redis | undefined;
  #readerId: number | undefined;
  #reading = false;
  #closed = false;

  constructor(redis: Redis, keys: RedisKeys, logger: Logger) {
    this.#redis = redis;
    this.#keys = keys;
    this.#logger = logger;
  }

  /** Streams followed right now (for tests and metrics). */
  get following(): number {
    return this.#followed.size;
  }

  subscribe(session: string, cursor: string, listener: Listener): () => void {
    const key = this.#keys.results(session);
    const subscription: Subscription = { listener, last: cursor, pending: [] };
    let followed = this.#followed.get(key);
    if (!followed) {
      followed = { position: cursor === '0' ? '0-0' : cursor, subscriptions: new Set() };
      this.#followed.set(key, followed);
    }
    followed.subscriptions.add(subscription);
    this.#loop();
    void this.#interrupt();
    void this.#catchUp(key, subscription);
    return () => {
      const entry = this.#followed.get(key);
      if (!entry?.subscriptions.delete(subscription)) return;
      subscription.pending = undefined;
      if (entry.subscriptions.size === 0) this.#followed.delete(key);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#followed.clear();
    this.#reader?.disconnect();
  }

  /** Passes on the history after the subscription's cursor, then what arrived live meanwhile. */
  async #catchUp(key: string, subscription: Subscription): Promise<void> {
    for (let failures = 0; subscription.pending; failures++) {
      try {
        const start = subscription.last === '0' ? '-' : `(${subscription.last}`;
        const entries = (await this.#redis.xrange(key, start, '+')) as [string, string[]][];
        for (const [id, fields] of entries) this.#pass(subscription, decode(id, fields));
        break;
      } catch (err) {
        this.#logger.debug({ key, err: (err as Error).message }, 'stream history read failed; retrying');
        await new Promise((r) => setTimeout(r, reconnectDelayMs(failures)));
      }
    }
    const held = subscription.pending ?? [];
    subscription.pending = undefined;
    for (const entry of held) this.#pass(subscription, entry);
  }

  #pass(subscription: Subscription, entry: LoggedResult | undefined): void {
    if (!entry || !after(entry.cursor, subscription.last)) return;
    subscription.last = entry.cursor;
    subscription.listener(entry);
  }

  /** Wakes the blocking read so that it starts again with the current set of streams. */
  async #interrupt(): Promise<void> {
    if (this.#readerId === undefined) return;
    await this.#redis.client('UNBLOCK', this.#readerId).catch(() => undefined);
  }

  #loop(): void {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    void (async () => {
      let failures = 0;
      while (!this.#closed && this.#followed.size > 0) {
        try {
          const reader = await this.#connection();
          const keys = [...this.#followed.keys()];
          const positions = keys.map((k) => this.#followed.get(k)!.position);
          const reply = (await reader.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', ...keys, ...positions)) as
            [string, [string, string[]][]][] | null;
          failures = 0;
          for (const [key, entries] of reply ?? []) {
            const followed = this.#followed.get(key);
            if (!followed) continue;
            for (const [id, fields] of entries) {
              followed.position = id;
              const entry = decode(id, fields);
              if (!entry) continue;
              for (const subscription of [...followed.subscriptions]) {
                if (subscription.pending) subscription.pending.push(entry);
                else this.#pass(subscription, entry);
              }
            }
          }
        } catch (err) {
          if (this.#closed) break;
          this.#logger.debug({ err: (err as Error).message }, 'shared stream read failed; retrying');
          await new Promise((r) => setTimeout(r, reconnectDelayMs(failures++)));
        }
      }
      this.#reading = false;
      // A subscription that arrived as the loop was ending.
      if (!this.#closed && this.#followed.size > 0) this.#loop();
    })();
  }

  /** The one blocking connection, made on first use; its client id lets a new subscription interrupt it. */
  async #connection(): Promise<Redis> {
    if (!this.#reader) {
      const reader = this.#redis.duplicate();
      reader.on('error', () => undefined); // the read loop handles failures
      this.#reader = reader;
      // After a reconnect the id changes: look it up again.
      reader.on('ready', () => {
        reader.client('ID').then(
          (id) => (this.#readerId = Number(id)),
          () => undefined,
        );
      });
    }
    if (this.#readerId === undefined) this.#readerId = Number(await this.#reader.client('ID'));
    return this.#reader;
  }
}
