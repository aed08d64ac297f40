/**
 * The streaming lane's per-runner queues on Redis: a BullMQ queue per STT runner (`stt-stream-{runner}`), and a set
 * naming them so a live runner can find the queues of dead ones and reclaim their finals (see StreamRoutes).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import { sttJobCodec } from '../codecs.ts';
import type { SttJob } from '../jobs.ts';
import type { SttQueue, StreamRoutes } from '../ports.ts';
import { BullQueue } from './bull-queue.ts';
import type { RedisKeys } from './keys.ts';

export interface RedisStreamRoutesOptions {
  redis: Redis;
  keys: RedisKeys;
  attempts: number;
  lockMs: number;
  logger: Logger;
}

export class RedisStreamRoutes implements StreamRoutes {
  readonly #o: RedisStreamRoutesOptions;
  readonly #queues = new Map<string, { queue: BullQueue<SttJob>; registered: Promise<unknown> }>();

  constructor(options: RedisStreamRoutesOptions) {
    this.#o = options;
  }

  #name(runner: string): string {
    return `stt-stream-${runner.replace(/[^\w.-]/g, '_')}`;
  }

  queue(runner: string): SttQueue {
    let entry = this.#queues.get(runner);
    if (!entry) {
      const { redis, keys, attempts, lockMs, logger } = this.#o;
      // FIFO (no priority), nothing coalesced: each partial carries new audio the runner's state needs. Ids are
      // unique per enqueue for partials; a final keeps its deterministic id.
      const queue = new BullQueue<SttJob>({
        name: this.#name(runner),
        prefix: keys.bullPrefix,
        connection: redis,
        codec: sttJobCodec,
        attempts,
        lockMs,
        logger,
        bullId: (job) =>
          job.kind === 'partial'
            ? `${job.session}.${job.segment}.p${job.stream?.offset ?? 0}.${job.rev ?? 0}`
            : job.id.replaceAll(':', '.'),
      });
      entry = { queue, registered: redis.sadd(keys.streamRunners, runner).catch(() => undefined) };
      this.#queues.set(runner, entry);
    }
    const { queue, registered } = entry;
    return {
      add: async (job) => {
        await registered;
        await queue.add(job);
      },
      take: (max, signal) => queue.take(max, signal),
      complete: (job) => queue.complete(job),
      fail: (job, error) => queue.fail(job, error),
      stats: () => queue.stats(),
      close: async () => {
        this.#queues.delete(runner);
        await queue.close();
      },
    };
  }

  async runners(): Promise<string[]> {
    return this.#o.redis.smembers(this.#o.keys.streamRunners);
  }

  async reclaim(runner: string, to: SttQueue): Promise<number> {
    const { redis, keys, logger } = this.#o;
    // One reclaimer per dead runner at a time; a second would only enqueue the same final ids again.
    if ((await redis.set(keys.streamReclaim(runner), '1', 'PX', 30_000, 'NX')) !== 'OK') return 0;
    const queue = new Queue(this.#name(runner), { connection: redis, prefix: keys.bullPrefix });
    queue.on('error', () => undefined);
    let moved = 0;
    try {
      const jobs = await queue.getJobs(['wait', 'active', 'delayed', 'prioritized'], 0, -1);
      for (const bull of jobs) {
        if (!bull?.data) continue;
        const job = sttJobCodec.decode(bull.data as Record<string, unknown>);
        if (job.kind !== 'final') continue;
        await to.add(job);
        moved += 1;
      }
      await queue.obliterate({ force: true });
      await redis.srem(keys.streamRunners, runner);
      if (moved > 0)
        logger.info({ runner, finals: moved }, 'streaming lane: finals of a gone runner handed to the shared queue');
    } finally {
      await queue.close().catch(() => undefined);
      await redis.del(keys.streamReclaim(runner)).catch(() => undefined);
    }
    return moved;
  }

  async close(): Promise<void> {
    for (const { queue } of this.#queues.values()) await queue.close().catch(() => undefined);
    this.#queues.clear();
  }
}
