/** The edge's Hono app: the same routes on every runtime; adapters supply the WebSocket upgrade. */
import { Hono } from 'hono';
import { toEarshotError } from '../shared/errors.ts';
import { authOff, type Authenticator } from './auth/authenticator.ts';
import { guardUpgrade } from './auth/ws-guard.ts';
import { errorResponse } from './http-errors.ts';
import { mountAudio, type AudioRouteDeps } from './routes/audio.ts';
import { mountHealth, type HealthProbe } from './routes/health.ts';
import { mountModels, type LoadedEngine } from './routes/models.ts';
import { mountOrigin, type OriginRouteDeps } from './routes/origin.ts';
import { mountRealtime, type RealtimeRouteDeps } from './routes/realtime.ts';
import { mountSessions } from './routes/sessions.ts';
import { mountTokens } from './routes/tokens.ts';
import { mountWatch, type WatchRouteDeps } from './routes/watch.ts';
import { mountWeb, type AssetLoader } from './routes/web.ts';

export interface EdgeAppDeps extends RealtimeRouteDeps {
  health: HealthProbe;
  /** Prometheus exposition for /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The web client's files (edge/web/); without it the edge serves no pages, only the APIs. */
  webAssets?: AssetLoader;
  viewerLimits?: WatchRouteDeps['viewerLimits'];
  /** The origin role for Workers relays (Node edges); it checks its own shared secret, not API keys. */
  origin?: Omit<OriginRouteDeps, 'upgradeWebSocket'>;
  /** API keys and tokens; absent means auth off. Health and metrics stay open for probes and scrapers. */
  auth?: Authenticator;
  /** The batch API (`/v1/audio/*`, `/v1/jobs/:id`); absent on runtimes without it. */
  batch?: Omit<AudioRouteDeps, 'auth' | 'admission'>;
  /** The engines and models live runners loaded, for `GET /v1/models`; absent on runtimes that cannot see runners. */
  loadedEngines?: () => readonly LoadedEngine[];
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
  const auth = deps.auth ?? authOff();
  mountTokens(app, auth);
  mountRealtime(app, { ...deps, tokens: auth.tokens, upgradeWebSocket: guardUpgrade(auth, deps.upgradeWebSocket, { scopes: ['realtime'], holdsSlot: true }) });
  // Viewers read the same store and result log as the speaker's session, so any edge can serve them.
  const { store, results, logger } = deps.sessionDeps;
  const watchUpgrade = guardUpgrade(auth, deps.upgradeWebSocket, { scopes: ['watch', 'realtime'], holdsSlot: false, session: (c) => c.req.param('session') });
  mountWatch(app, { upgradeWebSocket: watchUpgrade, store, results, logger, ...(deps.viewerLimits ? { viewerLimits: deps.viewerLimits } : {}) });
  mountSessions(app, { auth, store, results });
  if (deps.batch) mountAudio(app, { ...deps.batch, auth, admission: deps.admission });
  if (deps.loadedEngines) mountModels(app, { auth, loaded: deps.loadedEngines });
  if (deps.webAssets) mountWeb(app, deps.webAssets);
  if (deps.origin) mountOrigin(app, { upgradeWebSocket: deps.upgradeWebSocket, ...deps.origin });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    const error = toEarshotError(err);
    return errorResponse(c, error.code, error.message);
  });
  return app;
}
