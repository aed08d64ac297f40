/**
 * Starts an edge on a set of drivers: the Hono app on Node, sessions, backpressure, health and metrics.
 * Capabilities come from local engines (embedded) or from live runners' heartbeats (distributed).
 */
import type { Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import { metrics, registry } from '../../../shared/metrics.ts';
import type { Drivers } from '../../../shared/queue/drivers.ts';
import type { RunnerInfo } from '../../../shared/queue/runner-registry.ts';
import { loadFvad } from '../../../shared/vad/webrtc-vad.ts';
import { createEdgeApp } from '../../app.ts';
import { createAuth } from './auth.ts';
import { isLoopback, parseAllowedOrigins } from '../../auth/browser-origin.ts';
import { composeBatch } from './batch.ts';
import { serveNode, type NodeServer } from './serve.ts';
import { nodeWebAssets } from './web-assets.ts';
import { SessionRegistry } from '../../realtime/session-registry.ts';
import { StreamingLaneRouter } from '../../realtime/streaming-lane.ts';
import type { Capabilities } from '../../realtime/session.ts';
import { segmenterFromConfig, sessionDepsFromConfig, vadFactory } from '../../realtime/session-config.ts';
import { pseudonym, type ComponentState } from '../../routes/health.ts';
import { wakeFactory } from '../../wake/engines.ts';
import { createHookService } from '../../hooks/compose.ts';

/** The value, or null if it fails or takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([
    promise.catch(() => null),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref()),
  ]);
}

export interface Edge {
  server: NodeServer;
  /** Stops accepting sessions, lets open ones finish for up to `drainMs`, then closes. */
  close(drainMs?: number): Promise<void>;
}

/** Distributed edges learn what runners can do from their heartbeats; with none seen yet, nothing is refused. */
export function capabilitiesFromRunners(live: () => RunnerInfo[]): Capabilities {
  return {
    get sttLanguages() {
      const stt = live().filter((r) => r.role === 'stt');
      return stt.length === 0 ? ['en'] : [...new Set(stt.flatMap((r) => r.languages ?? []))];
    },
    get defaultLanguage() {
      return live().find((r) => r.role === 'stt')?.languages?.[0] ?? 'en';
    },
    translates(source, target) {
      const mt = live().filter((r) => r.role === 'mt');
      return mt.length === 0 || mt.some((r) => r.pairs?.includes(`${source}-${target}`));
    },
    speaks(language) {
      return live().some((r) => r.role === 'tts' && (r.languages ?? []).includes(language.split('-')[0]!));
    },
    get engines() {
      const runners = live();
      const of = (role: 'stt' | 'mt') => [...new Set(runners.filter((r) => r.role === role).map((r) => r.engine))];
      return { stt: of('stt'), mt: of('mt') };
    },
  };
}

export async function startEdge(options: {
  config: Config;
  logger: Logger;
  drivers: Drivers;
  capabilities?: Capabilities;
  /** Extra components for /health/full (the embedded runners). */
  health?: () => Promise<Record<string, ComponentState>>;
}): Promise<Edge> {
  const { config, logger, drivers } = options;
  const fvad = await loadFvad();
  const registry_ = new SessionRegistry(config.maxSessions);
  let draining = false;
  let sttDepth = 0;
  let liveRunners: RunnerInfo[] = [];

  // Backpressure and capabilities read cached values: sessions must not wait on Redis per frame.
  const refresh = async () => {
    try {
      const [stt, mt, tts, runners] = await Promise.all([
        drivers.sttQueue.stats(),
        drivers.mtQueue.stats(),
        drivers.ttsQueue.stats(),
        drivers.runners.live(),
      ]);
      sttDepth = stt.waiting;
      liveRunners = runners;
      metrics.queueDepth.set({ queue: 'stt' }, stt.waiting);
      metrics.queueDepth.set({ queue: 'mt' }, mt.waiting);
      metrics.deadLetters.set({ queue: 'stt' }, stt.dead);
      metrics.deadLetters.set({ queue: 'mt' }, mt.dead);
      metrics.sttStreams.reset();
      for (const r of runners)
        if (r.streams)
          for (const measure of ['held', 'max'] as const)
            metrics.sttStreams.set({ runner: pseudonym(r.id), measure }, r.streams[measure]);
      metrics.queueDepth.set({ queue: 'tts' }, tts.waiting);
      metrics.deadLetters.set({ queue: 'tts' }, tts.dead);
    } catch (err) {
      logger.debug({ err }, 'queue stats unavailable');
    }
  };
  await refresh();
  const poller = setInterval(() => void refresh(), 250);
  poller.unref();
  const capabilities = options.capabilities ?? capabilitiesFromRunners(() => liveRunners);
  // Live sessions on the streaming lane when configured (the batch API and the Workers relay stay stateless).
  const lane =
    config.sttLane === 'stateless'
      ? null
      : new StreamingLaneRouter({
          shared: drivers.sttQueue,
          routes: drivers.streams,
          runners: () => liveRunners,
          logger,
        });
  // Realtime sessions and batch files are cut into utterances the same way.
  const createVad = vadFactory(config, fvad);
  const segmenter = segmenterFromConfig(config);
  const auth = createAuth(config, logger);
  const batch = await composeBatch(config, logger, drivers, {
    sttQueue: drivers.sttQueue,
    results: drivers.results,
    createVad,
    segmenter,
    capabilities,
  });

  const server = await serveNode(
    (upgradeWebSocket) =>
      createEdgeApp({
        upgradeWebSocket,
        registry: registry_,
        webAssets: nodeWebAssets(),
        watchResults: drivers.watchResults,
        originPolicy: { allowedOrigins: parseAllowedOrigins(config.allowedOrigins), loopback: isLoopback(config.host) },
        viewers: { max: config.maxViewers, idleMs: config.viewerIdleMs },
        auth: auth.auth,
        batch: batch.routeDeps,
        maxJsonBytes: config.maxJsonBytes,
        loadedEngines: () => liveRunners,
        admission: () => {
          if (draining) return { code: 'shutting_down', message: 'this edge is draining; connect to another' };
          if (sttDepth > config.maxQueueDepth)
            return {
              code: 'overloaded',
              message: `the STT backlog (${sttDepth} jobs) exceeds ${config.maxQueueDepth}; try again shortly`,
            };
          return null;
        },
        sessionDeps: sessionDepsFromConfig(config, {
          fvad,
          sttQueue: lane ?? drivers.sttQueue,
          results: drivers.results,
          store: drivers.store,
          leases: drivers.leases,
          capabilities,
          shedPartials: () => {
            const shed = sttDepth > config.maxQueueDepth / 2;
            if (shed) metrics.partialsShed.inc();
            return shed;
          },
          logger,
          observer: {
            finalLatency: (seconds) => metrics.finalLatency.observe(seconds),
            stage: (stage, seconds) => metrics.stageSeconds.observe({ stage }, seconds),
            catchUp: (action) => metrics.catchUp.inc({ action }),
            cutOff: (reason) => metrics.clientsCutOff.inc({ reason }),
          },
          wake: wakeFactory(config),
          hooks: createHookService(config, drivers.store, logger, (hook, outcome) =>
            metrics.hooks.inc({ hook, outcome }),
          ),
        }),
        origin: {
          secret: config.originSecret,
          sttQueue: drivers.sttQueue,
          results: drivers.results,
          capabilities,
          logger,
        },
        metrics: async () => {
          let length = 0;
          for (const session of registry_.values()) length += await drivers.results.length(session.id).catch(() => 0);
          metrics.streamLength.set(length);
          metrics.activeConnections.set(registry_.size);
          return { contentType: registry.contentType, body: await registry.metrics() };
        },
        health: async () => {
          // Health must answer while Redis is down, when queued commands would wait for it to come back.
          const [redisUp, stt, mt] = await Promise.all([
            drivers.ping(),
            within(drivers.sttQueue.stats(), 500),
            within(drivers.mtQueue.stats(), 500),
          ]);
          const bound = lane?.bound();
          const byRole = (role: string) =>
            liveRunners
              .filter((r) => r.role === role)
              .map(({ id, engine, state, processed, failed, at, streams }) => ({
                id: pseudonym(id),
                engine,
                state,
                processed,
                failed,
                seenAgoMs: Date.now() - at,
                ...(streams ? { streams: { ...streams, boundHere: bound?.get(id) ?? 0 } } : {}),
              }));
          return {
            edge: {
              status: draining ? 'degraded' : 'ok',
              sessions: registry_.size,
              maxSessions: registry_.maxSessions,
              draining,
            },
            queue: {
              status: redisUp && stt && mt ? (sttDepth > config.maxQueueDepth ? 'degraded' : 'ok') : 'down',
              driver: drivers.kind,
              lane: config.sttLane,
              stt,
              mt,
              deadLetters: (stt?.dead ?? 0) + (mt?.dead ?? 0),
            },
            runners: {
              status: liveRunners.some((r) => r.role === 'stt') ? 'ok' : 'degraded',
              stt: byRole('stt'),
              mt: byRole('mt'),
            },
            ...(await options.health?.()),
          };
        },
      }),
    {
      host: config.host,
      port: config.port,
      maxPayload: Math.max(config.maxFrameBytes * 4, 4 * 1024 * 1024),
      maxHeaderBytes: config.maxHeaderBytes,
    },
  );
  logger.info({ url: server.url, queue: drivers.kind }, 'edge listening');

  return {
    server,
    async close(drainMs = config.drainMs) {
      draining = true;
      const deadline = Date.now() + drainMs;
      while (registry_.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (registry_.size > 0)
        logger.warn(
          { sessions: registry_.size },
          'drain time over; closing open sessions (clients can resume elsewhere)',
        );
      clearInterval(poller);
      await server.close();
      await batch.close();
      await auth.close();
    },
  };
}
