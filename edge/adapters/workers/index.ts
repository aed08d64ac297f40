/**
 * Cloudflare Workers entry of the edge. The health routes are the Node edge's; `/v1/realtime` and
 * `/v1/watch/:session` hand the WebSocket to the session's SessionRelay Durable Object, which runs the session
 * (session-relay.ts). A new session gets a new relay; a client resuming one names it in the URL
 * (`/v1/realtime?session=ID`), because the relay that holds it must be chosen before the socket opens.
 */
import { Hono, type Context } from 'hono';
import { isSessionId } from '../../../shared/protocol.ts';
import { mountHealth, type ComponentState } from '../../routes/health.ts';
import { RELAY_HEADERS, type WorkersEnv } from './env.ts';

export { SessionRelay } from './session-relay.ts';

function upgradeRequired(c: Context, route: string): Response {
  return c.json({ error: { code: 'invalid_message', message: `GET ${route} expects a WebSocket upgrade` } }, 426);
}

/** Forwards the upgrade to the relay named after the session; the relay answers 101 with its end of the socket. */
function toRelay(c: Context, session: string, role: 'speaker' | 'viewer'): Promise<Response> {
  const env = c.env as WorkersEnv;
  const headers = new Headers(c.req.raw.headers);
  headers.set(RELAY_HEADERS.session, session);
  headers.set(RELAY_HEADERS.role, role);
  const relay = env.SESSION_RELAY.get(env.SESSION_RELAY.idFromName(session));
  return relay.fetch(new Request(c.req.raw, { headers }));
}

// Bindings are the same object for every request an isolate serves, so the health probe can keep the first.
let bindings: WorkersEnv | undefined;

async function originHealth(): Promise<ComponentState> {
  const url = bindings?.EARSHOT_ORIGIN_URL;
  if (!url) return { status: 'down', error: 'EARSHOT_ORIGIN_URL is not set' };
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(2000) });
    return { status: response.ok ? 'ok' : 'down', url, httpStatus: response.status };
  } catch (err) {
    return { status: 'down', url, error: (err as Error).message };
  }
}

const app = new Hono();
app.use(async (c, next) => {
  bindings ??= c.env as WorkersEnv;
  await next();
});
mountHealth(app, async () => ({ edge: { status: 'ok', runtime: 'workers' }, origin: await originHealth() }));

app.get('/v1/realtime', (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return upgradeRequired(c, '/v1/realtime');
  const resume = c.req.query('session');
  if (resume !== undefined && !isSessionId(resume)) return c.json({ error: { code: 'invalid_message', message: 'session: not a session id' } }, 400);
  return toRelay(c, resume ?? crypto.randomUUID(), 'speaker');
});

app.get('/v1/watch/:session', (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return upgradeRequired(c, '/v1/watch/:session');
  const session = c.req.param('session');
  if (!isSessionId(session)) return c.json({ error: { code: 'invalid_message', message: 'not a session id' } }, 400);
  return toRelay(c, session, 'viewer');
});

app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
app.onError((err, c) => c.json({ error: { code: 'internal', message: err.message } }, 500));

export default app;
