/**
 * Tenancy of realtime sessions: a session belongs to the API key that created it (`SessionMeta.owner`). Resuming,
 * watching and exporting it, and minting tokens bound to it, need that key, a token minted by it (which carries
 * the key's id as its subject), or such a token bound to that very session. With auth off every caller is the same
 * anonymous principal and sessions have no owner, so everything matches. A session without an owner is not
 * reachable from an authenticated principal: the check fails closed.
 */
import type { Principal } from './authenticator.ts';

/** The owner recorded for a session a principal creates; undefined with auth off. */
export function ownerOf(principal: Principal | undefined): string | undefined {
  return principal && principal.via !== 'anonymous' ? principal.id : undefined;
}

/** Whether `principal` may resume, watch or export the session `{id, owner}`. */
export function mayUseSession(principal: Principal | undefined, session: { id: string; owner?: string }): boolean {
  if (principal?.session !== undefined && principal.session !== session.id) return false;
  return ownerOf(principal) === session.owner;
}
