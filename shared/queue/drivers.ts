/**
 * Chooses the queue drivers: in-process (the embedded default) or Redis (BullMQ queues, a stream per session,
 * session hashes, runner heartbeats). Everything above this module sees only the ports.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { sttJobCodec, mtJobCodec, ttsJobCodec } from './codecs.ts';
import { sttUrgency, type MtJob, type SttJob, type TtsJob } from './jobs.ts';
import { createMemoryMtQueue, createMemorySttQueue, MemoryQueue } from './memory-queue.ts';
import { MemoryResultLog } from './memory-result-log.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import { MemorySpeakerLeases } from './memory-speaker-leases.ts';
import { MemoryStreamRoutes } from './memory-stream-routes.ts';
import type {
  JobQueue,
  MtQueue,
  ResultLog,
  SessionStore,
  SpeakerLeases,
  StreamRoutes,
  SttQueue,
  TtsQueue,
} from './ports.ts';
import { RedisStreamRoutes } from './redis/redis-stream-routes.ts';
import { BullQueue, type BullQueueOptions } from './redis/bull-queue.ts';
import { createRedis } from './redis/connection.ts';
import { redisKeys } from './redis/keys.ts';
import { MultiplexedStreamReader } from './redis/multiplexed-stream-reader.ts';
import { RedisSessionStore } from './redis/redis-session-store.ts';
import { RedisSpeakerLeases } from './redis/redis-speaker-leases.ts';
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
  /** Spoken translations (TTS): their own queue, so a slow voice never holds up captions or translations. */
  ttsQueue: TtsQueue;
  results: ResultLog;
  /**
   * The result log as viewers and transcript exports read it. Their number is not bounded by the session limit,
   * so on Redis they share one blocking connection per edge instead of one each (speakers keep their own).
   */
  watchResults: Pick<ResultLog, 'subscribe' | 'length'>;
  store: SessionStore;
  /** One speaker connection per session, across every edge. */
  leases: SpeakerLeases;
  runners: RunnerRegistry;
  /** The streaming lane's per-runner queues. */
  streams: StreamRoutes;
  /** Redis reachable (always true in memory). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function createDrivers(o: DriverOptions): Drivers {
  if (!o.redisUrl) {
    const sttQueue = createMemorySttQueue(o.attempts);
    const mtQueue = createMemoryMtQueue(o.attempts);
    const ttsQueue = new MemoryQueue<TtsJob>({ attempts: o.attempts });
    const results = new MemoryResultLog(o.retentionMs);
    const store = new MemorySessionStore(o.retentionMs);
    const streams = new MemoryStreamRoutes(o.attempts);
    return {
      kind: 'memory',
      sttQueue,
      mtQueue,
      ttsQueue,
      results,
      watchResults: results,
      store,
      leases: new MemorySpeakerLeases(),
      runners: new MemoryRunnerRegistry(),
      streams,
      ping: async () => true,
      close: async () => {
        await Promise.all([
          sttQueue.close(),
          mtQueue.close(),
          ttsQueue.close(),
          results.close(),
          store.close(),
          streams.close(),
        ]);
      },
    };
  }

  const redis = createRedis(o.redisUrl, o.logger, 'main');
  const keys = redisKeys(o.prefix);
  const ttl = Math.min(60_000, o.retentionMs);
  const sttQueue = latestWinsQueue<SttJob>({
    redis,
    ttl,
    queue: {
      name: keys.sttQueue,
      prefix: keys.bullPrefix,
      connection: redis,
      codec: sttJobCodec,
      attempts: o.attempts,
      lockMs: o.lockMs,
      logger: o.logger,
    },
    isPartial: (job) => job.kind === 'partial',
    urgency: sttUrgency,
    partialId: (job) => `${job.session}.${job.segment}.partial.${job.enqueuedAt}`,
    // One newest snapshot per session.
    latestKey: (job) => keys.latestPartial(job.session),
    // A final overtakes its session's waiting snapshot; a second pass (of an older utterance) does not.
    clearsPartials: (job) => job.kind === 'final',
  });
  const mtQueue = latestWinsQueue<MtJob>({
    redis,
    ttl,
    queue: {
      name: keys.mtQueue,
      prefix: keys.bullPrefix,
      connection: redis,
      codec: mtJobCodec,
      attempts: o.attempts,
      lockMs: o.lockMs,
      logger: o.logger,
    },
    isPartial: (job) => job.kind === 'partial',
    partialId: (job) => `${job.session}.${job.seq}.partial.${job.target}.${job.enqueuedAt}`,
    // One newest partial translation per session and language.
    latestKey: (job) => `${keys.latestPartial(job.session)}:${job.target}`,
  });
  const ttsQueue = new BullQueue<TtsJob>({
    name: keys.ttsQueue,
    prefix: keys.bullPrefix,
    connection: redis,
    codec: ttsJobCodec,
    attempts: o.attempts,
    lockMs: o.lockMs,
    logger: o.logger,
    bullId: (job) => job.id.replaceAll(':', '.'),
  });
  const results = new StreamResultLog(redis, keys, o.retentionMs, o.logger);
  const watchReader = new MultiplexedStreamReader(redis, keys, o.logger);
  const streams = new RedisStreamRoutes({ redis, keys, attempts: o.attempts, lockMs: o.lockMs, logger: o.logger });
  const watchResults = {
    subscribe: watchReader.subscribe.bind(watchReader),
    length: (session: string) => results.length(session),
  };
  return {
    kind: 'redis',
    sttQueue,
    mtQueue,
    ttsQueue,
    results,
    watchResults,
    store: new RedisSessionStore(redis, keys, o.retentionMs),
    leases: new RedisSpeakerLeases(redis, keys),
    runners: new RedisRunnerRegistry(redis, keys),
    streams,
    ping: async () => {
      if (redis.status !== 'ready') return false;
      return (await Promise.race([redis.ping(), new Promise((r) => setTimeout(() => r('timeout'), 500))])) === 'PONG';
    },
    close: async () => {
      await Promise.allSettled([
        sttQueue.close(),
        mtQueue.close(),
        ttsQueue.close(),
        results.close(),
        watchReader.close(),
        streams.close(),
      ]);
      redis.disconnect();
    },
  };
}

/**
 * A BullMQ queue where whole jobs (finals) go first and partial jobs are latest-wins: the newest partial id per key
 * is remembered in Redis, and runners skip older partials still queued instead of computing stale text.
 */
function latestWinsQueue<J extends { id: string }>(o: {
  redis: Redis;
  ttl: number;
  queue: Omit<BullQueueOptions<J>, 'priority' | 'bullId' | 'isStale'>;
  isPartial: (job: J) => boolean;
  /** Order (lower first); by default whole jobs before partials. */
  urgency?: (job: J) => number;
  partialId: (job: J) => string;
  latestKey: (job: J) => string;
  /** Whether a whole job makes its key's waiting partial stale (default: every whole job does). */
  clearsPartials?: (job: J) => boolean;
}): JobQueue<J> {
  const bull = new BullQueue<J>({
    ...o.queue,
    priority: (job) => 1 + (o.urgency?.(job) ?? (o.isPartial(job) ? 1 : 0)),
    // BullMQ ids may not contain ':'; each partial needs its own id (a repeated id would be ignored).
    bullId: (job) => (o.isPartial(job) ? o.partialId(job) : job.id.replaceAll(':', '.')),
    isStale: async (job) => o.isPartial(job) && (await o.redis.get(o.latestKey(job))) !== o.partialId(job),
  });
  return {
    add: async (job) => {
      // A whole job (a final) makes any partial of its key still waiting stale: runners skip it.
      if (o.isPartial(job)) await o.redis.set(o.latestKey(job), o.partialId(job), 'PX', o.ttl);
      else if (o.clearsPartials?.(job) ?? true) await o.redis.set(o.latestKey(job), `whole.${job.id}`, 'PX', o.ttl);
      await bull.add(job);
    },
    take: (max, signal) => bull.take(max, signal),
    complete: (job) => bull.complete(job),
    fail: (job, error) => bull.fail(job, error),
    stats: () => bull.stats(),
    close: () => bull.close(),
  };
}
