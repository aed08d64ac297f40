/** `WS /v1/realtime`: wires a WebSocket to a RealtimeSession. Runtime-neutral: the adapter supplies upgradeWebSocket. */
import type { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { CLOSE } from '../../shared/close-codes.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import { isSessionId } from '../../shared/protocol.ts';
import { unref } from '../../shared/timers.ts';
import { RealtimeSession, type SessionDeps } from '../realtime/session.ts';
import type { SessionRegistry } from '../realtime/session-registry.ts';
import type { Principal } from '../auth/authenticator.ts';
import { ownerOf } from '../auth/session-access.ts';
import type { TokenService } from '../auth/tokens.ts';

export interface RealtimeRouteDeps {
  upgradeWebSocket: UpgradeWebSocket;
  sessionDeps: SessionDeps;
  registry: SessionRegistry;
  /** Null admits a new session; otherwise the reason it is refused (HTTP 503 with this body). */
  admission: () => { code: ErrorCode; message: string } | null;
  /** Issues the watch tokens of share links (auth on). */
  tokens?: TokenService;
  /** The id of a session this connection creates (default: a random UUID; a Workers relay: its own name). */
  newSessionId?: () => string;
}

/** Refusals of a whole edge: service restart (draining), try again later. */
const REFUSAL_CLOSE: Partial<Record<ErrorCode, number>> = {
  shutting_down: CLOSE.restart,
  overloaded: CLOSE.tryAgainLater,
  too_many_sessions: CLOSE.tryAgainLater,
};

function refusal(deps: RealtimeRouteDeps): { code: ErrorCode; message: string } | null {
  if (deps.registry.full)
    return { code: 'too_many_sessions', message: `this edge serves at most ${deps.registry.maxSessions} sessions` };
  return deps.admission();
}

export function mountRealtime(app: Hono, deps: RealtimeRouteDeps): void {
  app.get(
    '/v1/realtime',
    async (c, next) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        const refused = refusal(deps);
        if (refused) return c.json({ error: refused }, 503);
        return c.json(
          { error: { code: 'invalid_message', message: 'GET /v1/realtime expects a WebSocket upgrade' } },
          426,
        );
      }
      const named = c.req.query('session');
      if (named !== undefined && !isSessionId(named))
        return c.json({ error: { code: 'invalid_message', message: 'session: not a session id' } }, 400);
      await next();
    },
    deps.upgradeWebSocket((c) => {
      // Set by the auth guard; absent when auth is off.
      const principal = c.get('principal') as Principal | undefined;
      // A URL that names a session (`?session=ID`, how clients resume) binds the connection to it, as a token bound
      // to a session does: a `start` on it must resume that session, never create or replace one.
      const boundTo = principal?.session ?? c.req.query('session');
      let session: RealtimeSession | undefined;
      let ticker: ReturnType<typeof setInterval> | undefined;
      return {
        onOpen(_event, ws) {
          // Refusals travel over the socket (an error event, then a close with the reason): browsers cannot read
          // the body of a failed upgrade.
          const refused = refusal(deps);
          if (refused) {
            ws.send(JSON.stringify({ type: 'error', ...refused }));
            ws.close(REFUSAL_CLOSE[refused.code] ?? CLOSE.tryAgainLater, refused.code);
            return;
          }
          session = new RealtimeSession(
            deps.newSessionId?.() ?? crypto.randomUUID(),
            deps.sessionDeps,
            {
              send: (event) => {
                if (ws.readyState === 1) ws.send(JSON.stringify(event));
              },
              close: (code, reason) => {
                ws.close(code, reason);
                // A client cut off for breaking a limit (one that does not read, above all) gets a second to read the
                // close; then its socket is dropped rather than held for the close handshake.
                const raw = ws.raw as { terminate?: () => void } | undefined;
                if (code === CLOSE.policy && raw?.terminate) unref(setTimeout(() => raw.terminate?.(), 1000));
              },
              bufferedAmount: () => (ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0,
            },
            {
              glossary: principal?.glossary,
              ...(principal?.hooks ? { hooks: principal.hooks } : {}),
              // Tenancy: a new session is the caller's key's; a resumed one must be (session-access.ts).
              ...(ownerOf(principal) ? { owner: ownerOf(principal) } : {}),
              ...(boundTo !== undefined ? { boundTo } : {}),
              // A key's speaker gets a token for its share link; anonymous callers (auth off) need none.
              ...(deps.tokens && principal && principal.via !== 'anonymous'
                ? {
                    watchToken: async (id: string) =>
                      (
                        await deps.tokens!.issue(
                          { subject: principal.id, scopes: ['watch'], session: id },
                          deps.tokens!.maxTtlSeconds,
                        )
                      ).token,
                  }
                : {}),
            },
          );
          deps.registry.add(session);
          // Start and idle timeouts: the session checks its clocks; the runtime only has to keep calling.
          ticker = setInterval(() => session?.tick(), 1000);
        },
        onMessage(event) {
          if (!session) return;
          const data: unknown = event.data;
          if (typeof data === 'string') session.onText(data);
          else if (data instanceof ArrayBuffer) session.onBinary(new Uint8Array(data));
          else if (ArrayBuffer.isView(data))
            session.onBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        },
        onClose() {
          clearInterval(ticker);
          if (!session) return;
          session.onClose();
          deps.registry.remove(session);
        },
      };
    }),
  );
}
