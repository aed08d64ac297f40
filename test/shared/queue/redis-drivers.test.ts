import { afterAll, beforeAll, describe } from 'vitest';
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
  queueContract(async () => createDrivers({ redisUrl: redis.url, prefix: `t-${randomUUID()}`, attempts: 3, lockMs: 2000, retentionMs: 60_000, logger: silentLogger }));
});
