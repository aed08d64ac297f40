/**
 * Auth for WebSocket routes, wrapped around the runtime's upgradeWebSocket so routes stay unaware of it. Refusals
 * travel over the socket, like the realtime route's capacity refusals: the upgrade completes, an `error` event
 * names the code, and the socket closes with 4401, 4403 or 4429 (HTTP's status plus 4000). A browser cannot read
 * the status of a failed upgrade, and the Node adapter drops its body.
 *
 * An admitted socket holds one of its key's concurrent-session slots until it closes. A token bound to a session
 * may only resume that session: its first `start` must name it.
 */
import type { Context } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import type { Scope } from './api-keys.ts';
import { Authenticator, type Refusal } from './authenticator.ts';

const CLOSE_CODES: Record<Refusal['code'], number> = { unauthorized: 4401, forbidden: 4403, rate_limited: 4429, session_limit: 4429 };
/** A slot taken for an upgrade that never completes (the client went away mid-handshake) is freed after this. */
const HANDSHAKE_MS = 10_000;

function refusing(refusal: Refusal): WSEvents {
  return {
    onOpen(_event, ws) {
      ws.send(JSON.stringify({ type: 'error', code: refusal.code, message: refusal.message }));
      ws.close(CLOSE_CODES[refusal.code], refusal.code);
    },
  };
}

/** Holds the session slot (if any) for the socket's life; `bound`: the session a `start` must resume. */
function admitted(events: WSEvents, bound: string | undefined, release: () => void): WSEvents {
  const handshake = setTimeout(release, HANDSHAKE_MS);
  handshake.unref();
  let checked = bound === undefined;
  return {
    ...events,
    onOpen(event, ws) {
      clearTimeout(handshake);
      events.onOpen?.(event, ws);
    },
    onMessage(event, ws) {
      if (!checked && typeof event.data === 'string') {
        const verdict = boundStart(event.data, bound!);
        if (verdict === 'refused') return refuseBound(ws, bound!);
        checked = verdict === 'resumes';
      }
      events.onMessage?.(event, ws);
    },
    onClose(event, ws) {
      clearTimeout(handshake);
      release();
      events.onClose?.(event, ws);
    },
  };
}

/** Whether a text frame is a `start` resuming the bound session, a `start` of anything else, or no `start`. */
function boundStart(text: string, session: string): 'resumes' | 'refused' | 'other' {
  let message: { type?: unknown; session?: unknown };
  try {
    message = JSON.parse(text) as typeof message;
  } catch {
    return 'other'; // not JSON: the session reports bad_json itself
  }
  if (message?.type !== 'start') return 'other';
  return message.session === session ? 'resumes' : 'refused';
}

function refuseBound(ws: WSContext, session: string): void {
  const message = `this token is bound to session ${session}: "start" must resume it`;
  ws.send(JSON.stringify({ type: 'error', code: 'forbidden', message }));
  ws.close(CLOSE_CODES.forbidden, 'forbidden');
}

export interface GuardOptions {
  /** Any one of these admits. */
  scopes: Scope[];
  /** The socket holds one of its key's concurrent-session slots while open (speakers do; viewers do not). */
  holdsSlot: boolean;
  /** The session a socket is about when the URL names it (viewers); speakers name theirs in `start` instead. */
  session?: (c: Context) => string | undefined;
}

export function guardUpgrade(auth: Authenticator, upgrade: UpgradeWebSocket, options: GuardOptions): UpgradeWebSocket {
  const guarded = (createEvents: (c: Context) => WSEvents | Promise<WSEvents>, upgradeOptions?: unknown) =>
    upgrade(async (c: Context) => {
      const admission = await auth.admit(c.req, options.scopes);
      if (!admission.ok) return refusing(admission);
      const { principal } = admission;
      const named = options.session?.(c);
      if (named !== undefined && !Authenticator.canAccessSession(principal, named)) {
        return refusing({ code: 'forbidden', message: `this token is bound to session ${principal.session}, not ${named}` });
      }
      const release = options.holdsSlot ? await auth.acquireSession(principal) : () => undefined;
      if (!release) {
        return refusing({ code: 'session_limit', message: `key ${principal.id} already has its ${principal.limits.maxSessions} concurrent sessions open` });
      }
      // Routes read the caller (e.g. its key's default glossary) from the context.
      c.set('principal', principal);
      // A viewer's binding was checked above; a speaker's is checked on its `start`.
      return admitted(await createEvents(c), named === undefined ? principal.session : undefined, release);
    }, upgradeOptions);
  return guarded as UpgradeWebSocket;
}
