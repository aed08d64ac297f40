/** Speaker leases in Redis, shared by every edge: the lease and a pending request, each an expiring string key. */
import type { Redis } from 'ioredis';
import type { SpeakerLeases } from '../ports.ts';
import type { RedisKeys } from './keys.ts';

// KEYS: lease, request. ARGV: holder, ttl. Takes a free (or own) lease, else leaves a request for the holder.
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if (not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
  return 1
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 0`;

// 1 kept, 0 asked to yield (still held), -1 lost.
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisSpeakerLeases implements SpeakerLeases {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async acquire(session: string, holder: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.#redis.eval(
        ACQUIRE,
        2,
        this.#keys.speakerLease(session),
        this.#keys.speakerLeaseRequest(session),
        holder,
        ttlMs,
      )) === 1
    );
  }

  async renew(session: string, holder: string, ttlMs: number): Promise<'kept' | 'yield' | 'lost'> {
    const reply = await this.#redis.eval(
      RENEW,
      2,
      this.#keys.speakerLease(session),
      this.#keys.speakerLeaseRequest(session),
      holder,
      ttlMs,
    );
    return reply === 1 ? 'kept' : reply === 0 ? 'yield' : 'lost';
  }

  async release(session: string, holder: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#keys.speakerLease(session), holder);
  }
}
