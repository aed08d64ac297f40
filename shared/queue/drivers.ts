/**
 * Chooses the queue drivers: in-process (the embedded default) or Redis (BullMQ queues, a stream per session,
 * session hashes, runner heartbeats). Everything above this module sees only the ports.
 */
import type { Logger } from '../logger.ts';
import { sttJobCodec, mtJobCodec } from './codecs.ts';
import type { MtJob, SttJob } from './jobs.ts';
import { createMemoryMtQueue, createMemorySttQueue } from './memory-queue.ts';
import { MemoryResultLog } from './memory-result-log.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import type { MtQueue, ResultLog, SessionStore, SttQueue } from './ports.ts';
import { BullQueue } from './redis/bull-queue.ts';
import { createRedis } from './redis/connection.ts';
import { redisKeys } from './redis/keys.ts';
import { RedisSessionStore } from './redis/redis-session-store.ts';
import { StreamResultLog } from './redis/stream-result-log.ts';
import { MemoryRunnerRegistry, RedisRunnerRegistry, type RunnerRegistry } from './runner-registry.ts';

export interface DriverOptions {
  /** Empty: in-process drivers. */
  redisUrl: string;
  prefix: string;
  attempts: number;
  lockMs: number;
  retentionMs: number;
  logger: Logger;
}

export interface Drivers {
  kind: 'memory' | 'redis';
  sttQueue: SttQueue;
  mtQueue: MtQueue;
  results: ResultLog;
  store: SessionStore;
  runners: RunnerRegistry;
  /** Redis reachable (always true in memory). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function createDrivers(o: DriverOptions): Drivers {
  if (!o.redisUrl) {
    const sttQueue = createMemorySttQueue(o.attempts);
    const mtQueue = createMemoryMtQueue(o.attempts);
    const results = new MemoryResultLog(o.retentionMs);
    const store = new MemorySessionStore(o.retentionMs);
    return {
      kind: 'memory',
      sttQueue,
      mtQueue,
      results,
      store,
      runners: new MemoryRunnerRegistry(),
      ping: async () => true,
      close: async () => {
        await Promise.all([sttQueue.close(), mtQueue.close(), results.close(), store.close()]);
      },
    };
  }

  const redis = createRedis(o.redisUrl, o.logger, 'main');
  const keys = redisKeys(o.prefix);
  const partialId = (job: SttJob) => `${job.session}.${job.segment}.partial.${job.enqueuedAt}`;
  const sttBull = new BullQueue<SttJob>({
    name: keys.sttQueue,
    prefix: keys.bullPrefix,
    connection: redis,
    codec: sttJobCodec,
    attempts: o.attempts,
    lockMs: o.lockMs,
    // Finals ahead of partials.
    priority: (job) => (job.kind === 'final' ? 1 : 2),
    bullId: (job) => (job.kind === 'final' ? job.id.replaceAll(':', '.') : partialId(job)),
    isStale: async (job) => job.kind === 'partial' && (await redis.get(keys.latestPartial(job.session))) !== partialId(job),
    logger: o.logger,
  });
  const sttQueue: SttQueue = {
    // Latest wins: remember the newest snapshot per session; runners skip older ones still queued.
    add: async (job) => {
      if (job.kind === 'partial') await redis.set(keys.latestPartial(job.session), partialId(job), 'PX', Math.min(60_000, o.retentionMs));
      await sttBull.add(job);
    },
    take: (max, signal) => sttBull.take(max, signal),
    complete: (job) => sttBull.complete(job),
    fail: (job, error) => sttBull.fail(job, error),
    stats: () => sttBull.stats(),
    close: () => sttBull.close(),
  };
  const mtPartialId = (job: MtJob) => `${job.session}.${job.seq}.partial.${job.target}.${job.enqueuedAt}`;
  const latestMt = (job: MtJob) => `${keys.latestPartial(job.session)}:${job.target}`;
  const mtBull = new BullQueue<MtJob>({
    name: keys.mtQueue,
    prefix: keys.bullPrefix,
    connection: redis,
    codec: mtJobCodec,
    attempts: o.attempts,
    lockMs: o.lockMs,
    // Translations of finals ahead of translations of partials, which are latest-wins per session and language.
    priority: (job) => (job.kind === 'partial' ? 2 : 1),
    bullId: (job) => (job.kind === 'partial' ? mtPartialId(job) : job.id.replaceAll(':', '.')),
    isStale: async (job) => job.kind === 'partial' && (await redis.get(latestMt(job))) !== mtPartialId(job),
    logger: o.logger,
  });
  const mtQueue: MtQueue = {
    add: async (job) => {
      if (job.kind === 'partial') await redis.set(latestMt(job), mtPartialId(job), 'PX', Math.min(60_000, o.retentionMs));
      await mtBull.add(job);
    },
    take: (max, signal) => mtBull.take(max, signal),
    complete: (job) => mtBull.complete(job),
    fail: (job, error) => mtBull.fail(job, error),
    stats: () => mtBull.stats(),
    close: () => mtBull.close(),
  };
  const results = new StreamResultLog(redis, keys, o.retentionMs, o.logger);
  return {
    kind: 'redis',
    sttQueue,
    mtQueue,
    results,
    store: new RedisSessionStore(redis, keys, o.retentionMs),
    runners: new RedisRunnerRegistry(redis, keys),
    ping: async () => {
      if (redis.status !== 'ready') return false;
      return (await Promise.race([redis.ping(), new Promise((r) => setTimeout(() => r('timeout'), 500))])) === 'PONG';
    },
    close: async () => {
      await Promise.allSettled([sttQueue.close(), mtQueue.close(), results.close()]);
      redis.disconnect();
    },
  };
}
