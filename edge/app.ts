/** The edge's Hono app: the same routes on every runtime; adapters supply the WebSocket upgrade. */
import { Hono } from 'hono';
import { mountHealth, type HealthProbe } from './routes/health.ts';
import { mountRealtime, type RealtimeRouteDeps } from './routes/realtime.ts';

export interface EdgeAppDeps extends RealtimeRouteDeps {
  health: HealthProbe;
  /** Prometheus exposition for /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

export function createEdgeApp(deps: EdgeAppDeps): Hono {
  const app = new Hono();
  mountHealth(app, deps.health);
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (c) => {
      const { contentType, body } = await metrics();
      return c.body(body, 200, { 'content-type': contentType });
    });
  }
  mountRealtime(app, deps);
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => c.json({ error: { code: 'internal', message: err.message } }, 500));
  return app;
}
