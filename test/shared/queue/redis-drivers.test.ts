import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sttJobId, type SttJob } from '../../../shared/queue/jobs.ts';
import { randomUUID } from 'node:crypto';
import { createDrivers } from '../../../shared/queue/drivers.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { TestRedis } from '../../support/redis-server.ts';
import { queueContract } from './contract.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  await redis?.stop();
});

describe('Redis drivers (real redis-server, fresh prefix per test)', () => {
  queueContract(async (retentionMs = 60_000) =>
    createDrivers({
      redisUrl: redis.url,
      prefix: `t-${randomUUID()}`,
      attempts: 3,
      lockMs: 2000,
      retentionMs,
      logger: silentLogger,
    }),
  );
});

describe('Redis drivers: a runner that shuts down', () => {
  it('hands back a job it took for a later batch at once, not after its lock (60 s) expires', async () => {
    const prefix = `t-${randomUUID()}`;
    const make = () =>
      createDrivers({
        redisUrl: redis.url,
        prefix,
        attempts: 3,
        lockMs: 60_000,
        retentionMs: 60_000,
        logger: silentLogger,
      });
    const [stopping, other] = [make(), make()];
    const job = (session: string, kind: SttJob['kind']): SttJob => ({
      id: sttJobId(session, 1, kind),
      session,
      segment: 1,
      kind,
      pcm: new Int16Array(10),
      start: 0,
      end: 1,
      targets: [],
      enqueuedAt: Date.now(),
    });
    await stopping.sttQueue.add(job('a', 'final'));
    await stopping.sttQueue.add(job('b', 'refine'));
    // The final is this batch; the second pass (another priority) is carried over for the next one.
    const batch = await stopping.sttQueue.take(10, AbortSignal.timeout(5000));
    expect(batch.map((j) => j.id)).toEqual(['a:1']);
    await stopping.sttQueue.complete(batch[0]!);
    await stopping.close();
    const next = await other.sttQueue.take(10, AbortSignal.timeout(10_000));
    expect(next.map((j) => j.id)).toEqual(['b:1:refine']);
    await other.close();
  }, 30_000);
});
