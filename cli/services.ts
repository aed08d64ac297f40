/** The long-lived services behind `earshot all | edge | runner`, each with health, metrics and a graceful close. */
import { Hono } from 'hono';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { registry } from '../shared/metrics.ts';
import { serveNode } from '../edge/adapters/node/serve.ts';
import { mountHealth, pseudonym } from '../edge/routes/health.ts';
import { driversFor, startEmbedded } from './embedded.ts';
import { startEdge } from '../edge/adapters/node/edge.ts';
import { startRunner } from './compose/runners.ts';

/**
 * Where runners serve health and metrics unless PORT / --port says otherwise: beside an edge on its default 8080,
 * and beside each other, so README's processes run on one machine without choosing ports.
 */
export const RUNNER_PORTS = { stt: 8081, mt: 8082, tts: 8083 } as const;

/** The environment a service's configuration is read from: a runner's own default port filled in when PORT is unset. */
export function serviceEnv(
  service: 'all' | 'edge' | 'runner',
  role: string | undefined,
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  if (service !== 'runner' || (role !== 'stt' && role !== 'mt' && role !== 'tts') || env.PORT) return env;
  return { ...env, PORT: String(RUNNER_PORTS[role]) };
}

export interface RunningService {
  url: string;
  close(): Promise<void>;
}

export async function startService(
  service: 'all' | 'edge' | 'runner',
  role: 'stt' | 'mt' | 'tts' | undefined,
  config: Config,
  logger: Logger,
): Promise<RunningService> {
  if (service === 'all') {
    const embedded = await startEmbedded(config, logger);
    return { url: embedded.server.url, close: () => embedded.close() };
  }
  const drivers = driversFor(config, logger);
  if (service === 'edge') {
    const edge = await startEdge({ config, logger, drivers });
    return {
      url: edge.server.url,
      close: async () => {
        await edge.close();
        await drivers.close();
      },
    };
  }
  const runner = await startRunner(role!, config, logger, drivers);
  // Runners have no WebSockets; they serve health and metrics for orchestrators.
  const server = await serveNode(
    () => {
      const app = new Hono();
      mountHealth(app, async () => {
        const info = runner.info();
        const redisUp = await drivers.ping();
        return {
          runner: { status: info.state === 'running' ? 'ok' : 'down', ...info, id: pseudonym(info.id) },
          queue: { status: redisUp ? 'ok' : 'down', driver: drivers.kind },
        };
      });
      app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
      return app;
    },
    { host: config.host, port: config.port, maxPayload: 1024 },
  );
  return {
    url: server.url,
    close: async () => {
      // Finish the batch in hand; jobs still queued stay for the other runners.
      await runner.close();
      await server.close();
      await drivers.close();
    },
  };
}
