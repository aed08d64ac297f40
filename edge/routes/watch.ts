/**
 * `WS /v1/watch/:session`: an audience viewer follows a session's captions (docs/protocol.md, "Watching a
 * session"). Runtime-neutral like the realtime route; viewers are not counted as sessions, so they never hold up
 * a drain or take a speaker's place. They are bounded on their own: at most `maxViewers` per edge (per key: the
 * auth guard), only the session's tenant may watch, and idle ones are closed.
 */
import type { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { CLOSE } from '../../shared/close-codes.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { isSessionId } from '../../shared/protocol.ts';
import { unref } from '../../shared/timers.ts';
import type { ResultLog, SessionStore } from '../../shared/queue/ports.ts';
import { SharedLogReader } from '../realtime/shared-log-reader.ts';
import { Viewer, type ViewerLimits } from '../realtime/viewer.ts';
import type { Principal } from '../auth/authenticator.ts';
import { mayUseSession } from '../auth/session-access.ts';

export interface WatchRouteDeps {
  upgradeWebSocket: UpgradeWebSocket;
  // Only what a viewer reads, so any relay (Node edge, Workers origin link) can supply it.
  store: Pick<SessionStore, 'get'>;
  results: Pick<ResultLog, 'subscribe'>;
  logger: Logger;
  viewerLimits?: ViewerLimits;
  /** Viewers this edge serves at once (default: unbounded). */
  maxViewers?: number;
  /** A viewer sent nothing this long is closed (default: never). */
  viewerIdleMs?: number;
}

export function mountWatch(app: Hono, deps: WatchRouteDeps): void {
  const results = new SharedLogReader(deps.results);
  const viewers = new Set<Viewer>();
  // One timer for every viewer of the edge, not one each.
  const ticker = setInterval(() => {
    for (const viewer of viewers) viewer.tick();
  }, 1000);
  unref(ticker);
  app.get(
    '/v1/watch/:session',
    async (c, next) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        return c.json(
          { error: { code: 'invalid_message', message: 'GET /v1/watch/:session expects a WebSocket upgrade' } },
          426,
        );
      }
      // A session id is letters, digits, - and _: anything else could name another Redis key (#14.11).
      if (!isSessionId(c.req.param('session') ?? ''))
        return c.json({ error: { code: 'unknown_session', message: 'no such session' } }, 404);
      await next();
    },
    deps.upgradeWebSocket((c) => {
      const session = c.req.param('session') ?? '';
      // Set by the auth guard (anonymous with auth off).
      const principal = c.get('principal') as Principal | undefined;
      let viewer: Viewer | undefined;
      return {
        onOpen(_event, ws) {
          if (viewers.size >= (deps.maxViewers ?? Infinity)) {
            const code: ErrorCode = 'too_many_viewers';
            ws.send(
              JSON.stringify({
                type: 'error',
                code,
                message: `this edge serves at most ${deps.maxViewers} viewers; try again later or another edge`,
              }),
            );
            return ws.close(CLOSE.tryAgainLater, code); // as for a full edge's speakers
          }
          const protocol = Number(c.req.query('protocol') ?? 1);
          // `?speak=es,fr`: spoken translations too (bounded: a few well-formed language codes).
          const speak = c.req
            .query('speak')
            ?.split(',')
            .filter((l) => /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(l))
            .slice(0, 4);
          viewer = new Viewer(
            session,
            {
              store: deps.store,
              results,
              logger: deps.logger,
              protocol,
              ...(speak ? { speak } : {}),
              mayWatch: (meta) => mayUseSession(principal, meta),
              ...(deps.viewerLimits ? { limits: deps.viewerLimits } : {}),
              ...(deps.viewerIdleMs ? { idleMs: deps.viewerIdleMs } : {}),
            },
            {
              send: (event) => {
                if (ws.readyState === 1) ws.send(JSON.stringify(event));
              },
              close: (code, reason) => ws.close(code, reason),
              // Node's ws exposes the unsent byte count; runtimes that do not (Workers) report 0 and are never shed.
              bufferedAmount: () => (ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0,
            },
          );
          viewers.add(viewer);
          viewer.open().catch((err: unknown) => {
            deps.logger.error({ err, session }, 'viewer failed');
            ws.close(CLOSE.internal, 'internal');
          });
        },
        // Viewers only listen; whatever they send is ignored.
        onClose() {
          viewer?.onClose();
          if (viewer) viewers.delete(viewer);
        },
      };
    }),
  );
}
