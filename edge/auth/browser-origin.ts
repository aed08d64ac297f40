/**
 * What a browser may make the edge do on a page's behalf. API keys and tokens are never ambient (no cookies), but
 * with auth off (the loopback default) any page the user visits could otherwise reach the edge:
 *
 * - Origin: a WebSocket upgrade or a state-changing request (not GET/HEAD/OPTIONS) carrying an `Origin` is
 *   admitted only from the edge's own origin or one configured in EARSHOT_ALLOWED_ORIGINS (`*`: any). Requests
 *   without `Origin` come from programs, not pages, and are admitted.
 * - Host: an edge listening on loopback answers only to loopback host names, so a page whose DNS name was
 *   rebound to 127.0.0.1 (DNS rebinding) is refused even though the browser thinks it is same-origin.
 *
 * Refusals are 403 `forbidden` before any upgrade, with the usual JSON body.
 */
import type { MiddlewareHandler } from 'hono';
import { errorResponse } from '../http-errors.ts';

export interface OriginPolicy {
  /** Origins (`scheme://host[:port]`) besides the edge's own; `*` admits every origin. */
  allowedOrigins: readonly string[] | '*';
  /** The edge listens on a loopback address: the Host header must name loopback too. */
  loopback: boolean;
}

/** Loopback addresses: reachable from this machine only. `0.0.0.0` and `::` are every interface, so not loopback. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

/** `host[:port]` of a Host header without the port (IPv6 keeps its brackets off). */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  return host.replace(/:\d+$/, '');
}

/** `EARSHOT_ALLOWED_ORIGINS` as a policy list. */
export function parseAllowedOrigins(setting: string): readonly string[] | '*' {
  if (setting.trim() === '*') return '*';
  return setting
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, '').toLowerCase())
    .filter(Boolean);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function browserOriginGuard(policy: OriginPolicy): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (policy.loopback && !isLoopback(hostName(host))) {
      return errorResponse(
        c,
        'forbidden',
        `this edge listens on loopback and answers only to localhost, 127.0.0.1 or [::1], not to Host "${host.slice(0, 100)}"`,
      );
    }
    const origin = c.req.header('origin');
    const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    if (origin !== undefined && (upgrade || !SAFE_METHODS.has(c.req.method)) && !admits(policy, origin, host)) {
      return errorResponse(
        c,
        'forbidden',
        `pages from ${origin.slice(0, 100)} may not use this edge (EARSHOT_ALLOWED_ORIGINS)`,
      );
    }
    await next();
  };
}

function admits(policy: OriginPolicy, origin: string, host: string): boolean {
  if (policy.allowedOrigins === '*') return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file: pages) and garbage
  }
  // Same origin: the page was served by this edge (the scheme may differ behind a TLS-terminating proxy).
  if (parsed.host.toLowerCase() === host.toLowerCase()) return true;
  return policy.allowedOrigins.includes(parsed.origin.toLowerCase());
}
