import { describe } from 'vitest';
import { createDrivers } from '../../../shared/queue/drivers.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { queueContract } from './contract.ts';

describe('in-process drivers', () => {
  queueContract(async () => createDrivers({ redisUrl: '', prefix: 'x', attempts: 3, lockMs: 1000, retentionMs: 60_000, logger: silentLogger }));
});
