/** What a Workers deployment of the edge is given: its Durable Object namespaces and vars (wrangler.toml, .dev.vars). */
import type { AuthState } from './auth-state.ts';
import type { SessionRelay } from './session-relay.ts';

export interface WorkersEnv {
  SESSION_RELAY: DurableObjectNamespace<SessionRelay>;
  /** Per-key limits, the deployment's session cap and revoked tokens (auth-state.ts). */
  AUTH_STATE: DurableObjectNamespace<AuthState>;
  /** The origin (a Node edge) relays send jobs to, e.g. https://origin.example.com. */
  EARSHOT_ORIGIN_URL: string;
  /** Its EARSHOT_ORIGIN_SECRET; a secret (`wrangler secret put`, or .dev.vars locally), never a plain var. */
  EARSHOT_ORIGIN_SECRET: string;
  /**
   * Any other earshot setting (shared/config.ts) may be set as a var too: VAD, limits, LOG_LEVEL. API keys
   * (EARSHOT_API_KEYS, hashed records) and EARSHOT_JWT_SECRET are secrets.
   */
  [setting: string]: unknown;
}

/** Headers the Worker sets when it hands a request to a relay: which session the relay holds. */
export const RELAY_HEADERS = { session: 'x-earshot-session' } as const;

/** The relay that serves `/v1/tokens`: not a session id (those are letters, digits, - and _), so never a session's. */
export const TOKENS_RELAY = '~tokens';
