/**
 * The embedded default (`earshot all`): one process with the edge, the queue (in-process, or Redis with
 * `--redis`), one STT runner and one MT runner. `earshot edge` and `earshot runner` run the same parts apart.
 */
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { createDrivers, type Drivers } from '../shared/queue/drivers.ts';
import { PivotingApertium } from '../gpu-runners/engines/apertium-pivot.ts';
import { createMtEngine, createSttEngine } from '../gpu-runners/engines/registry.ts';
import { createTtsEngine } from '../gpu-runners/tts/registry.ts';
import { startEdge } from '../edge/adapters/node/edge.ts';
import { startRunner } from './compose/runners.ts';
import type { NodeServer } from '../edge/adapters/node/serve.ts';

export interface Embedded {
  server: NodeServer;
  /** Stops accepting sessions, lets open ones finish (up to `drainMs`), then stops runners and the server. */
  close(drainMs?: number): Promise<void>;
}

export function driversFor(config: Config, logger: Logger): Drivers {
  return createDrivers({
    redisUrl: config.redis,
    prefix: config.redisPrefix,
    attempts: config.sttMaxAttempts,
    lockMs: config.jobLockMs,
    retentionMs: config.sessionRetentionSeconds * 1000,
    logger,
  });
}

export async function startEmbedded(config: Config, logger: Logger): Promise<Embedded> {
  const sttEngine = createSttEngine(config, logger);
  const mtEngine = createMtEngine(config, logger);
  // Spoken translations need translations: no MT, no voice.
  const ttsEngine = mtEngine ? createTtsEngine(config) : null;
  await Promise.all([sttEngine.load(), mtEngine?.load(), ttsEngine?.load()]);
  const drivers = driversFor(config, logger);
  const stt = await startRunner('stt', config, logger, drivers, { stt: sttEngine });
  const mt = mtEngine ? await startRunner('mt', config, logger, drivers, { mt: mtEngine }) : null;
  const tts = ttsEngine ? await startRunner('tts', config, logger, drivers, { tts: ttsEngine }) : null;
  // EARSHOT_LANGUAGE, or a fine-tune's pinned language, is what a session naming none speaks.
  const defaultLanguage = sttEngine.defaultLanguage ?? sttEngine.languages[0] ?? 'en';
  const edge = await startEdge({
    config,
    logger,
    drivers,
    capabilities: {
      sttLanguages: sttEngine.languages,
      defaultLanguage,
      translates: (source, target) => mtEngine?.supports(source, target) ?? false,
      engines: { stt: [sttEngine.name], mt: mtEngine ? [mtEngine.name] : [] },
      speaks: (language) => ttsEngine?.speaks(language) ?? false,
      route: (source, target) => {
        const route = mtEngine instanceof PivotingApertium ? mtEngine.route(source, target) : undefined;
        return route?.kind === 'pivot' ? route.via : undefined;
      },
    },
    health: async () => ({
      stt_runner: {
        status: stt.runner.state === 'running' ? 'ok' : 'down',
        engine: sttEngine.name,
        state: stt.runner.state,
        processed: stt.runner.processed,
        failed: stt.runner.failed,
      },
      mt_runner: mt
        ? {
            status: mt.runner.state === 'running' ? 'ok' : 'down',
            engine: mtEngine!.name,
            state: mt.runner.state,
            processed: mt.runner.processed,
            failed: mt.runner.failed,
          }
        : { status: 'ok', engine: 'none', state: 'disabled' },
    }),
  });
  logger.info(
    { url: edge.server.url, stt: sttEngine.name, mt: mtEngine?.name ?? 'none', queue: drivers.kind },
    'earshot ready',
  );

  return {
    server: edge.server,
    async close(drainMs = config.drainMs) {
      await edge.close(drainMs);
      await stt.close();
      await mt?.close();
      await tts?.close();
      await drivers.close();
      await Promise.all([sttEngine.close(), mtEngine?.close(), ttsEngine?.close()]);
    },
  };
}
