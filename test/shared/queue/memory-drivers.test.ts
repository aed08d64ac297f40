import { describe, expect, it } from 'vitest';
import type { MemoryResultLog } from '../../../shared/queue/memory-result-log.ts';
import { createDrivers } from '../../../shared/queue/drivers.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { queueContract } from './contract.ts';

describe('in-process drivers', () => {
  queueContract(async (retentionMs = 60_000) =>
    createDrivers({ redisUrl: '', prefix: 'x', attempts: 3, lockMs: 1000, retentionMs, logger: silentLogger }),
  );

  it('#14.7 forgets the logs of sessions that were only read, never written (started, then gone), and keeps a log while it is read', async () => {
    const d = createDrivers({
      redisUrl: '',
      prefix: 'x',
      attempts: 3,
      lockMs: 1000,
      retentionMs: 200,
      logger: silentLogger,
    });
    const log = d.results as MemoryResultLog;
    for (let i = 0; i < 100; i++) d.results.subscribe(`gone-${i}`, '0', () => undefined)();
    const read: string[] = [];
    const stop = d.results.subscribe('watched', '0', (e) => read.push(e.cursor));
    expect(log.size).toBe(101);
    await new Promise((r) => setTimeout(r, 500));
    expect(log.size).toBe(1);
    await d.results.append('watched', { type: 'ended', segments: 0 });
    expect(read).toEqual(['1']);
    stop();
    await expect.poll(() => log.size, { timeout: 2000 }).toBe(0);
    await d.close();
  });
});
