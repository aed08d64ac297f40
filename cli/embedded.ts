/**
 * The embedded default (`earshot all`): one process with the edge, an in-process queue, one STT runner and one
 * MT runner. The same parts, joined by Redis instead of memory, make the distributed deployment.
 */
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { createMemoryMtQueue, createMemorySttQueue } from '../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../shared/queue/memory-result-log.ts';
import { loadFvad, WebRtcVad } from '../shared/vad/webrtc-vad.ts';
import { createEdgeApp } from '../edge/app.ts';
import { serveNode, type NodeServer } from '../edge/adapters/node/serve.ts';
import { SessionRegistry } from '../edge/realtime/session-registry.ts';
import { createMtEngine, createSttEngine } from '../gpu-runners/engines/registry.ts';
import { MtRunner } from '../gpu-runners/mt-runner.ts';
import { SttRunner } from '../gpu-runners/stt-runner.ts';

export interface Embedded {
  server: NodeServer;
  /** Stops accepting sessions, lets open ones finish (up to `graceMs`), then stops runners and the server. */
  close(graceMs?: number): Promise<void>;
}

export async function startEmbedded(config: Config, logger: Logger): Promise<Embedded> {
  const sttEngine = createSttEngine(config);
  const mtEngine = createMtEngine(config);
  await Promise.all([sttEngine.load(), mtEngine?.load(), loadFvad()]);

  const sttQueue = createMemorySttQueue();
  const mtQueue = mtEngine ? createMemoryMtQueue() : null;
  const results = new MemoryResultLog();
  const defaultLanguage = sttEngine.languages[0] ?? 'en';
  const sttRunner = new SttRunner({ queue: sttQueue, mtQueue, results, engine: sttEngine, logger, batchSize: config.sttBatchSize, maxAttempts: config.sttMaxAttempts, defaultLanguage });
  const mtRunner = mtEngine && mtQueue ? new MtRunner({ queue: mtQueue, results, engine: mtEngine, logger, batchSize: 16, maxAttempts: 2 }) : null;
  sttRunner.start();
  mtRunner?.start();

  const fvad = await loadFvad();
  const registry = new SessionRegistry(config.maxSessions);
  let draining = false;
  const server = await serveNode(
    (upgradeWebSocket) =>
      createEdgeApp({
        upgradeWebSocket,
        registry,
        isDraining: () => draining,
        sessionDeps: {
          sttQueue,
          results,
          createVad: () => WebRtcVad.fromModule(fvad, { aggressiveness: config.vadAggressiveness as 0 | 1 | 2 | 3, sampleRate: 16000, frameMs: 30 }),
          capabilities: {
            sttLanguages: sttEngine.languages,
            defaultLanguage,
            translates: (source, target) => mtEngine?.supports(source, target) ?? false,
          },
          limits: { maxFrameBytes: config.maxFrameBytes, maxSessionSeconds: config.maxSessionSeconds },
          segmenter: {
            silenceMs: config.vadSilenceMs,
            maxUtteranceMs: config.vadMaxUtteranceMs,
            preRollMs: config.vadPreRollMs,
            minSpeechMs: 200,
            partialIntervalMs: config.partialIntervalMs,
          },
          logger,
        },
        health: () => ({
          edge: { status: draining ? 'degraded' : 'ok', sessions: registry.size, maxSessions: registry.maxSessions, draining },
          queue: { status: 'ok', driver: 'memory', stt: sttQueue.stats(), mt: mtQueue?.stats() ?? null },
          stt_runner: { status: sttRunner.state === 'running' ? 'ok' : 'down', engine: sttEngine.name, state: sttRunner.state, processed: sttRunner.processed, failed: sttRunner.failed },
          mt_runner: mtRunner
            ? { status: mtRunner.state === 'running' ? 'ok' : 'down', engine: mtEngine!.name, state: mtRunner.state, processed: mtRunner.processed, failed: mtRunner.failed }
            : { status: 'ok', engine: 'none', state: 'disabled' },
        }),
      }),
    { host: config.host, port: config.port, maxPayload: Math.max(config.maxFrameBytes * 4, 4 * 1024 * 1024) },
  );
  logger.info({ url: server.url, stt: sttEngine.name, mt: mtEngine?.name ?? 'none' }, 'earshot ready');

  return {
    server,
    async close(graceMs = 10_000) {
      draining = true;
      const deadline = Date.now() + graceMs;
      while (registry.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await server.close();
      await sttRunner.stop();
      await mtRunner?.stop();
      await Promise.all([sttQueue.close(), mtQueue?.close(), results.close()]);
      await Promise.all([sttEngine.close(), mtEngine?.close()]);
    },
  };
}
