/** What a Workers deployment of the edge is given: the relay namespace and its vars (wrangler.toml, .dev.vars). */
import type { SessionRelay } from './session-relay.ts';

export interface WorkersEnv {
  SESSION_RELAY: DurableObjectNamespace<SessionRelay>;
  /** The origin (a Node edge) relays send jobs to, e.g. https://origin.example.com. */
  EARSHOT_ORIGIN_URL: string;
  /** Its EARSHOT_ORIGIN_SECRET; a secret (`wrangler secret put`, or .dev.vars locally), never a plain var. */
  EARSHOT_ORIGIN_SECRET: string;
  /** Any other earshot setting (shared/config.ts) may be set as a var too: VAD, limits, LOG_LEVEL. */
  [setting: string]: unknown;
}

/** Headers the Worker sets when it hands a socket to a relay: which session, and who is connecting. */
export const RELAY_HEADERS = { session: 'x-earshot-session', role: 'x-earshot-role' } as const;
