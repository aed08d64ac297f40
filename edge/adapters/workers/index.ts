/**
 * Cloudflare Workers entry of the edge. The Worker only decides which Durable Object owns a request; the objects
 * mount the same edge app as the Node edge (session-relay.ts):
 *
 * - `/v1/realtime` goes to the SessionRelay of a new session (a fresh id), or of the session the URL names
 *   (`?session=ID`, how clients resume: the relay that holds a session must be chosen before the socket opens);
 * - `/v1/watch/:session` and `/v1/sessions/:id/…` go to that session's relay;
 * - `/v1/tokens…` go to one relay that holds no session (TOKENS_RELAY), which asks a session's relay about it;
 * - the batch API and `/v1/models` are checked here (key, scope, rate) and forwarded to the origin, which runs them;
 *   `/v1/capabilities` is the origin's.
 */
import { Hono, type Context } from 'hono';
import { loadConfig } from '../../../shared/config.ts';
import { clientError } from '../../../shared/errors.ts';
import { isSessionId } from '../../../shared/protocol.ts';
import type { Authenticator } from '../../auth/authenticator.ts';
import { requireScope } from '../../auth/middleware.ts';
import { errorResponse } from '../../http-errors.ts';
import { mountHealth, type ComponentState } from '../../routes/health.ts';
import { RELAY_HEADERS, TOKENS_RELAY, type WorkersEnv } from './env.ts';
import { workersLogger } from './logger.ts';
import { workersAuth } from './session-relay.ts';

export { SessionRelay } from './session-relay.ts';
export { AuthState } from './auth-state.ts';

type Env = { Bindings: WorkersEnv };

/** Hands the request to the relay named `name`; for a WebSocket it answers 101 with its end of the socket. */
function toRelay(c: Context<Env>, name: string): Promise<Response> {
  const headers = new Headers(c.req.raw.headers);
  headers.set(RELAY_HEADERS.session, name);
  const relay = c.env.SESSION_RELAY.get(c.env.SESSION_RELAY.idFromName(name));
  return relay.fetch(new Request(c.req.raw, { headers }));
}

/** Forwards the request as it came (credentials included: the origin checks them too) to the origin. */
async function toOrigin(c: Context<Env>): Promise<Response> {
  const url = new URL(c.req.url);
  const target = `${c.env.EARSHOT_ORIGIN_URL.replace(/\/+$/, '')}${url.pathname}${url.search}`;
  try {
    return await fetch(new Request(target, c.req.raw));
  } catch (err) {
    return errorResponse(
      c,
      'queue_unavailable',
      `the origin behind this edge is unreachable: ${(err as Error).message}`,
    );
  }
}

// Bindings are the same object for every request an isolate serves: the authenticator is made once.
let auth: Authenticator | undefined;
function authOf(env: WorkersEnv): Authenticator {
  if (!auth) {
    const config = loadConfig(env as Record<string, string | undefined>);
    auth = workersAuth(config, env, workersLogger(config.logLevel));
  }
  return auth;
}

async function originHealth(env: WorkersEnv | undefined): Promise<ComponentState> {
  const url = env?.EARSHOT_ORIGIN_URL;
  if (!url) return { status: 'down', error: 'EARSHOT_ORIGIN_URL is not set' };
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(2000) });
    return { status: response.ok ? 'ok' : 'down', url, httpStatus: response.status };
  } catch (err) {
    return { status: 'down', url, error: (err as Error).message };
  }
}

let bindings: WorkersEnv | undefined;
const app = new Hono<Env>();
app.use(async (c, next) => {
  bindings ??= c.env;
  await next();
});
mountHealth(app as unknown as Hono, async () => ({
  edge: { status: 'ok', runtime: 'workers' },
  origin: await originHealth(bindings),
}));

app.get('/v1/realtime', (c) => {
  const named = c.req.query('session');
  // A malformed id is refused by the relay's route (400) like on Node; any relay will do for that.
  return toRelay(c, named !== undefined && isSessionId(named) ? named : crypto.randomUUID());
});
app.get('/v1/watch/:session', (c) => {
  const session = c.req.param('session');
  if (!isSessionId(session)) return errorResponse(c, 'unknown_session', 'no such session');
  return toRelay(c, session);
});
app.all('/v1/sessions/:id/*', (c) => {
  const id = c.req.param('id');
  if (!isSessionId(id)) return errorResponse(c, 'unknown_session', `session ${id} does not exist or has expired`);
  return toRelay(c, id);
});
app.all('/v1/tokens', (c) => toRelay(c, TOKENS_RELAY));
app.all('/v1/tokens/*', (c) => toRelay(c, TOKENS_RELAY));

// Batch: the edge checks the caller; the origin, which can decode and queue files, does the work.
const batch = (c: Context<Env>, next: () => Promise<void>) => requireScope(authOf(c.env), 'batch')(c as never, next);
app.post('/v1/audio/*', batch, toOrigin);
app.get('/v1/jobs/:id', batch, toOrigin);
app.get(
  '/v1/models',
  (c, next) => requireScope(authOf(c.env), 'realtime', 'batch', 'watch')(c as never, next),
  toOrigin,
);
app.get('/v1/capabilities', toOrigin);

app.notFound((c) =>
  c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
);
// As on Node: a generic message with a ref for the client, the details in the log under that ref.
app.onError((err, c) => {
  const config = loadConfig(c.env as Record<string, string | undefined>);
  const error = clientError(err, workersLogger(config.logLevel).child({ method: c.req.method, path: c.req.path }));
  return errorResponse(c, error.code, error.message);
});

export default app;
