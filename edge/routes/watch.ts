/**
 * `WS /v1/watch/:session`: an audience viewer follows a session's captions (docs/protocol.md, "Watching a
 * session"). Runtime-neutral like the realtime route; viewers are not counted as sessions, so they never hold up
 * a drain or take a speaker's place.
 */
import type { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import type { Logger } from '../../shared/logger.ts';
import type { ResultLog, SessionStore } from '../../shared/queue/ports.ts';
import { SharedLogReader } from '../realtime/shared-log-reader.ts';
import { Viewer, type ViewerLimits } from '../realtime/viewer.ts';

export interface WatchRouteDeps {
  upgradeWebSocket: UpgradeWebSocket;
  // Only what a viewer reads, so any relay (Node edge, Workers origin link) can supply it.
  store: Pick<SessionStore, 'get'>;
  results: Pick<ResultLog, 'subscribe'>;
  logger: Logger;
  viewerLimits?: ViewerLimits;
}

export function mountWatch(app: Hono, deps: WatchRouteDeps): void {
  const results = new SharedLogReader(deps.results);
  app.get(
    '/v1/watch/:session',
    async (c, next) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        return c.json({ error: { code: 'invalid_message', message: 'GET /v1/watch/:session expects a WebSocket upgrade' } }, 426);
      }
      await next();
    },
    deps.upgradeWebSocket((c) => {
      const session = c.req.param('session') ?? '';
      let viewer: Viewer | undefined;
      return {
        onOpen(_event, ws) {
          const protocol = Number(c.req.query('protocol') ?? 1);
          viewer = new Viewer(session, { store: deps.store, results, logger: deps.logger, protocol, ...(deps.viewerLimits ? { limits: deps.viewerLimits } : {}) }, {
            send: (event) => {
              if (ws.readyState === 1) ws.send(JSON.stringify(event));
            },
            close: (code, reason) => ws.close(code, reason),
            // Node's ws exposes the unsent byte count; runtimes that do not (Workers) report 0 and are never shed.
            bufferedAmount: () => (ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0,
          });
          viewer.open().catch((err: unknown) => {
            deps.logger.error({ err, session }, 'viewer failed');
            ws.close(1011, 'internal');
          });
        },
        // Viewers only listen; whatever they send is ignored.
        onClose() {
          viewer?.onClose();
        },
      };
    }),
  );
}
