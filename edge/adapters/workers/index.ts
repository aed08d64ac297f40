/**
 * Cloudflare Workers entry. It serves the runtime-neutral health routes today; the realtime route needs the
 * SessionRelay Durable Object and an origin connection, which are not built yet, so it answers 501 with a JSON
 * body that says where realtime sessions are served instead.
 */
import { Hono } from 'hono';
import { mountHealth } from '../../routes/health.ts';

const app = new Hono();
mountHealth(app, () => ({ edge: { status: 'ok', runtime: 'workers' } }));
app.all('/v1/realtime', (c) =>
  c.json({ error: { code: 'not_implemented', message: 'realtime sessions are served by the Node edge (earshot all) until the Workers SessionRelay lands' } }, 501),
);

export default app;
