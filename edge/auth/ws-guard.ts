/**
 * Auth for WebSocket routes, wrapped around the runtime's upgradeWebSocket so routes stay unaware of it. Refusals
 * travel over the socket, like the realtime route's capacity refusals: the upgrade completes, an `error` event
 * names the code, and the socket closes with 4401, 4403 or 4429 (HTTP's status plus 4000). A browser cannot read
 * the status of a failed upgrade, and the Node adapter drops its body.
 *
 * An admitted socket holds one of its key's slots (concurrent sessions, or viewers) until it closes. A speaker's
 * token bound to a session is held to it by the session itself (every `start` must resume it: session.ts), which
 * knows when a `start` really happens; a viewer's is checked here against the URL.
 */
import type { Context } from 'hono';
import type { UpgradeWebSocket, WSEvents } from 'hono/ws';
import { CLOSE, REFUSAL_CLOSE } from '../../shared/close-codes.ts';
import { unref } from '../../shared/timers.ts';
import type { Scope } from './api-keys.ts';
import { Authenticator, type Refusal } from './authenticator.ts';

/** A slot taken for an upgrade that never completes (the client went away mid-handshake) is freed after this. */
const HANDSHAKE_MS = 10_000;

function refusing(refusal: Refusal): WSEvents {
  return {
    onOpen(_event, ws) {
      ws.send(JSON.stringify({ type: 'error', code: refusal.code, message: refusal.message }));
      ws.close(REFUSAL_CLOSE[refusal.code], refusal.code);
    },
  };
}

function full(): WSEvents {
  return {
    onOpen(_event, ws) {
      ws.send(
        JSON.stringify({
          type: 'error',
          code: 'too_many_sessions',
          message: 'this deployment serves its maximum of sessions (EARSHOT_MAX_SESSIONS); try again later',
        }),
      );
      ws.close(CLOSE.tryAgainLater, 'too_many_sessions');
    },
  };
}

/** Holds the slot (if any) for the socket's life. */
function admitted(events: WSEvents, release: () => void): WSEvents {
  const handshake = unref(setTimeout(release, HANDSHAKE_MS));
  return {
    ...events,
    onOpen(event, ws) {
      clearTimeout(handshake);
      events.onOpen?.(event, ws);
    },
    onClose(event, ws) {
      clearTimeout(handshake);
      release();
      events.onClose?.(event, ws);
    },
  };
}

export interface GuardOptions {
  /** Any one of these admits. */
  scopes: Scope[];
  /** Which of its key's slots the socket holds while open: a concurrent session (speakers) or a viewer's. */
  slot: 'session' | 'viewer';
  /** The session a socket is about when the URL names it (viewers); speakers name theirs in `start` instead. */
  session?: (c: Context) => string | undefined;
  /**
   * Speakers: a slot of the deployment's session cap, where the runtime keeps that cap outside the process (a Workers
   * relay holds one session; the cap is across relays). Null: the deployment is full (`too_many_sessions`, 1013).
   */
  deploymentSlot?: () => Promise<(() => void) | null>;
}

export function guardUpgrade(auth: Authenticator, upgrade: UpgradeWebSocket, options: GuardOptions): UpgradeWebSocket {
  const guarded = (createEvents: (c: Context) => WSEvents | Promise<WSEvents>, upgradeOptions?: unknown) =>
    upgrade(async (c: Context) => {
      const admission = await auth.admit(c.req, options.scopes);
      if (!admission.ok) return refusing(admission);
      const { principal } = admission;
      const named = options.session?.(c);
      if (named !== undefined && !Authenticator.canAccessSession(principal, named)) {
        return refusing({
          code: 'forbidden',
          message: `this token is bound to session ${principal.session}, not ${named}`,
        });
      }
      const release =
        options.slot === 'session' ? await auth.acquireSession(principal) : await auth.acquireViewer(principal);
      if (!release && options.slot === 'session') {
        return refusing({
          code: 'session_limit',
          message: `key ${principal.id} already has its ${principal.limits.maxSessions} concurrent sessions open`,
        });
      }
      if (!release)
        return refusing({
          code: 'viewer_limit',
          message: `key ${principal.id} already has its ${principal.limits.maxViewers} viewers connected`,
        });
      const deployment = options.deploymentSlot ? await options.deploymentSlot() : () => undefined;
      if (!deployment) {
        release();
        return full();
      }
      // Routes read the caller (e.g. its key's default glossary) from the context.
      c.set('principal', principal);
      return admitted(await createEvents(c), () => {
        release();
        deployment();
      });
    }, upgradeOptions);
  return guarded as UpgradeWebSocket;
}
