/**
 * Puts an STT runner on the streaming lane: a loop on the runner's own queue (the sessions bound to it), the usual
 * loop on the shared queue (both serve stream jobs, sharing the engine's states), what the runner announces in its
 * heartbeat, and the reclaiming of finals left in the queues of runners that are gone.
 */
import type { Logger } from '../../shared/logger.ts';
import type { Drivers } from '../../shared/queue/drivers.ts';
import type { SttEngine } from '../engines/types.ts';
import type { SttRunnerOptions } from '../stt-runner.ts';
import { LaneSttRunner, StreamStates } from './lane-runner.ts';

export interface StreamingLane {
  /** The runner of the shared queue (ordinary jobs, and reclaimed stream finals). */
  shared: LaneSttRunner;
  /** The runner of this runner's own queue. */
  own: LaneSttRunner;
  /** For the heartbeat: states held and the most this runner holds; undefined until the engine's streams are loaded. */
  streams(): { held: number; max: number } | undefined;
  /** Hands the finals queued for runners no longer alive to the shared queue. */
  reclaim(): Promise<void>;
  /** Stops the own loop and hands what is left in its queue to the shared one. */
  close(): Promise<void>;
}

/** Null when the engine cannot stream. */
export async function startStreamingLane(o: {
  id: string;
  engine: SttEngine;
  drivers: Drivers;
  options: SttRunnerOptions;
  logger: Logger;
}): Promise<StreamingLane | null> {
  const streaming = o.engine.streaming;
  if (!streaming) return null;
  // Not awaited: the runner serves (and reports healthy) at once; it announces streams, so edges bind sessions to
  // it, once they are loaded. Stream jobs that arrive earlier (reclaimed finals) wait for the load.
  streaming
    .load()
    .catch((err: unknown) => o.logger.error({ err }, 'streaming lane unavailable: its decoders did not load'));
  const { drivers, id } = o;
  const states = new StreamStates(streaming);
  const ownQueue = drivers.streams.queue(id);
  const shared = new LaneSttRunner({ ...o.options, states });
  // Every session bound here can have a job waiting: take them together, each session's in order.
  const own = new LaneSttRunner({
    ...o.options,
    queue: ownQueue,
    states,
    batchSize: Math.max(o.options.batchSize, streaming.maxStreams),
  });
  let reclaiming = false;
  return {
    shared,
    own,
    streams: () => (streaming.loaded ? { held: states.held, max: streaming.maxStreams } : undefined),
    async reclaim() {
      if (reclaiming) return;
      reclaiming = true;
      try {
        const queued = await drivers.streams.runners();
        if (queued.length <= 1) return;
        const live = new Set((await drivers.runners.live()).filter((r) => r.role === 'stt').map((r) => r.id));
        for (const runner of queued)
          if (runner !== id && !live.has(runner)) await drivers.streams.reclaim(runner, drivers.sttQueue);
      } catch (err) {
        o.logger.debug({ err }, 'streaming lane: reclaim failed; retried on the next heartbeat');
      } finally {
        reclaiming = false;
      }
    },
    async close() {
      await own.stop();
      await ownQueue.close();
      const moved = await drivers.streams.reclaim(id, drivers.sttQueue).catch(() => 0);
      await states.close();
      o.logger.info({ finals: moved }, 'streaming lane stopped; queued finals handed to the shared queue');
    },
  };
}
