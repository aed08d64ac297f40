/**
 * Per-key limits in Redis, shared by every edge. Requests: one counter per key and minute (INCR, expiring with
 * the window). Sessions: a sorted set of leases scored by expiry; a lease is renewed while its session is open,
 * so the slots of an edge that died free themselves within LEASE_MS.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger.ts';
import type { RedisKeys } from '../../shared/queue/redis/keys.ts';
import { WINDOW_MS, type Limiter, type RateCheck } from './limits.ts';

const LEASE_MS = 30_000;

// Atomic check-and-take: drop expired leases, count the rest, add ours if there is room.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

export class RedisLimiter implements Limiter {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #logger: Logger;
  readonly #renewals = new Set<ReturnType<typeof setInterval>>();

  constructor(redis: Redis, keys: RedisKeys, logger: Logger) {
    this.#redis = redis;
    this.#keys = keys;
    this.#logger = logger;
  }

  async hit(key: string, perMinute: number): Promise<RateCheck> {
    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    const counter = this.#keys.keyRequests(key, window);
    const replies = await this.#redis
      .multi()
      .incr(counter)
      .pexpire(counter, WINDOW_MS * 2)
      .exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
    if (count <= perMinute) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.ceil(((window + 1) * WINDOW_MS - now) / 1000) };
  }

  async acquire(key: string, max: number): Promise<(() => void) | null> {
    const set = this.#keys.keySessions(key);
    const lease = randomUUID();
    const now = Date.now();
    const taken = await this.#redis.eval(ACQUIRE, 1, set, now, max, now + LEASE_MS, lease, LEASE_MS * 2);
    if (taken !== 1) return null;
    const renew = setInterval(() => {
      const at = Date.now();
      this.#redis
        .multi()
        .zadd(set, 'XX', at + LEASE_MS, lease)
        .pexpire(set, LEASE_MS * 2)
        .exec()
        .catch((err: unknown) => this.#logger.debug({ err }, 'session lease renewal failed'));
    }, LEASE_MS / 3);
    renew.unref();
    this.#renewals.add(renew);
    return () => {
      if (!this.#renewals.delete(renew)) return;
      clearInterval(renew);
      this.#redis.zrem(set, lease).catch((err: unknown) => this.#logger.debug({ err }, 'session lease release failed'));
    };
  }

  async close(): Promise<void> {
    for (const renew of this.#renewals) clearInterval(renew);
    this.#renewals.clear();
  }
}
