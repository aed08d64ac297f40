/**
 * The edge's Hono app: the same routes on every runtime. Adapters (adapters/node, adapters/workers) only bind
 * sockets (the WebSocket upgrade), storage (store, result log, limits) and secrets.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { clientError } from '../shared/errors.ts';
import { authOff, type Authenticator } from './auth/authenticator.ts';
import { guardUpgrade } from './auth/ws-guard.ts';
import { browserOriginGuard, type OriginPolicy } from './auth/browser-origin.ts';
import { errorResponse } from './http-errors.ts';
import { mountAudio, type AudioRouteDeps } from './routes/audio.ts';
import { mountCapabilities } from './routes/capabilities.ts';
import { mountHealth, type HealthProbe } from './routes/health.ts';
import { mountModels, type LoadedEngine } from './routes/models.ts';
import { mountOrigin, type OriginRouteDeps } from './routes/origin.ts';
import { mountRealtime, type RealtimeRouteDeps } from './routes/realtime.ts';
import { mountSessions, type SessionRouteDeps } from './routes/sessions.ts';
import { mountTokens } from './routes/tokens.ts';
import { mountWatch, type WatchRouteDeps } from './routes/watch.ts';
import { mountWeb, type AssetLoader } from './routes/web.ts';

export interface EdgeAppDeps extends RealtimeRouteDeps {
  health: HealthProbe;
  /** Prometheus exposition for /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The web client's pages (client/web/, bundled by the adapter); without it the edge serves no pages, only the APIs. */
  webAssets?: AssetLoader;
  viewerLimits?: WatchRouteDeps['viewerLimits'];
  /** Viewers per edge, and how long an idle one stays (watch.ts). */
  viewers?: { max: number; idleMs: number };
  /** The result log as viewers and exports read it (Drivers.watchResults); default the sessions' own. */
  watchResults?: WatchRouteDeps['results'] & SessionRouteDeps['results'];
  /** The origin role for Workers relays (Node edges); it checks its own shared secret, not API keys. */
  origin?: Omit<OriginRouteDeps, 'upgradeWebSocket'>;
  /** Which browser pages may use the edge, and whether it answers only to loopback names (browser-origin.ts). */
  originPolicy?: OriginPolicy;
  /** API keys and tokens; absent means auth off. Health and metrics stay open for probes and scrapers. */
  auth?: Authenticator;
  /** The batch API (`/v1/audio/*`, `/v1/jobs/:id`); absent on runtimes without it. */
  batch?: Omit<AudioRouteDeps, 'auth' | 'admission'>;
  /** Largest request body outside the batch uploads (which have their own limit); default 64 KiB. */
  maxJsonBytes?: number;
  /** A slot of the deployment-wide session cap, where the runtime keeps it outside the process (ws-guard.ts). */
  deploymentSlot?: () => Promise<(() => void) | null>;
  /** The engines and models live runners loaded, for `GET /v1/models`; absent on runtimes that cannot see runners. */
  loadedEngines?: () => readonly LoadedEngine[];
}

const BATCH_UPLOADS = '/v1/audio/';

export function createEdgeApp(deps: EdgeAppDeps): Hono {
  const app = new Hono();
  const originPolicy: OriginPolicy = deps.originPolicy ?? { allowedOrigins: [], loopback: false };
  // Before every route: a refused page must not reach even the health routes' information.
  app.use(browserOriginGuard(originPolicy));
  // Every body is bounded before a route reads it: an unbounded JSON body is memory any key can take.
  const maxJsonBytes = deps.maxJsonBytes ?? 64 * 1024;
  const jsonLimit = bodyLimit({
    maxSize: maxJsonBytes,
    onError: (c) =>
      errorResponse(c, 'body_too_large', `the request body exceeds ${maxJsonBytes} bytes (EARSHOT_MAX_JSON_BYTES)`),
  });
  app.use('*', (c, next) => (c.req.path.startsWith(BATCH_UPLOADS) ? next() : jsonLimit(c, next)));
  mountHealth(app, deps.health);
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (c) => {
      const { contentType, body } = await metrics();
      return c.body(body, 200, { 'content-type': contentType });
    });
  }
  const auth = deps.auth ?? authOff();
  mountTokens(app, auth, deps.sessionDeps.store);
  mountRealtime(app, {
    ...deps,
    tokens: auth.tokens,
    upgradeWebSocket: guardUpgrade(auth, deps.upgradeWebSocket, {
      scopes: ['realtime'],
      slot: 'session',
      ...(deps.deploymentSlot ? { deploymentSlot: deps.deploymentSlot } : {}),
    }),
  });
  // Viewers read the same store and result log as the speaker's session, so any edge can serve them.
  const { store, logger } = deps.sessionDeps;
  const results = deps.watchResults ?? deps.sessionDeps.results;
  const watchUpgrade = guardUpgrade(auth, deps.upgradeWebSocket, {
    scopes: ['watch', 'realtime'],
    slot: 'viewer',
    session: (c) => c.req.param('session'),
  });
  mountWatch(app, {
    upgradeWebSocket: watchUpgrade,
    store,
    results,
    logger,
    ...(deps.viewerLimits ? { viewerLimits: deps.viewerLimits } : {}),
    ...(deps.viewers ? { maxViewers: deps.viewers.max, viewerIdleMs: deps.viewers.idleMs } : {}),
  });
  mountSessions(app, { auth, store, results });
  mountCapabilities(app, deps.sessionDeps.capabilities);
  if (deps.batch) mountAudio(app, { ...deps.batch, auth, admission: deps.admission });
  if (deps.loadedEngines) mountModels(app, { auth, loaded: deps.loadedEngines });
  if (deps.webAssets) mountWeb(app, deps.webAssets, originPolicy.allowedOrigins);
  if (deps.origin) mountOrigin(app, { upgradeWebSocket: deps.upgradeWebSocket, ...deps.origin });
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  // Unexpected errors reach the client as a generic message with a ref; the log has the details under that ref.
  app.onError((err, c) => {
    const error = clientError(err, logger.child({ method: c.req.method, path: c.req.path }));
    return errorResponse(c, error.code, error.message);
  });
  return app;
}
