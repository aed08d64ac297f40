/** Per-key limits shared by edges through a real redis-server: two limiters stand for two edges. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/logger.ts';
import { redisKeys } from '../../../shared/queue/redis/keys.ts';
import { RedisLimiter } from '../../../edge/auth/redis-limiter.ts';
import { TestRedis } from '../../support/redis-server.ts';

let server: TestRedis;
const clients: Redis[] = [];
beforeAll(async () => {
  server = await TestRedis.start();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

function edges(): [RedisLimiter, RedisLimiter] {
  const keys = redisKeys(`t-${randomUUID()}`);
  const make = () => {
    const client = new Redis(server.url);
    clients.push(client);
    return new RedisLimiter(client, keys, silentLogger);
  };
  return [make(), make()];
}

describe('RedisLimiter', () => {
  it('counts requests of a key across edges in one window', async () => {
    const [a, b] = edges();
    expect(await a.hit('k', 3)).toEqual({ ok: true });
    expect(await b.hit('k', 3)).toEqual({ ok: true });
    expect(await a.hit('k', 3)).toEqual({ ok: true });
    const refused = await b.hit('k', 3);
    expect(refused.ok).toBe(false);
    expect(refused.ok === false && refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(await a.hit('other', 3)).toEqual({ ok: true });
  });

  it('holds a key to max concurrent sessions across edges, and frees a slot on release', async () => {
    const [a, b] = edges();
    const first = await a.acquire('k', 2);
    const second = await b.acquire('k', 2);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(await a.acquire('k', 2)).toBeNull();
    expect(await b.acquire('k', 2)).toBeNull();
    first!();
    // The release is sent without waiting; the next acquire is queued behind it on the same connection.
    expect(await a.acquire('k', 2)).not.toBeNull();
    await a.close();
    await b.close();
  });
});
