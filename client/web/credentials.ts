/**
 * How the speaker page authenticates to an edge with auth on (as any edge on a non-loopback address is). The user
 * types an API key once; the page exchanges it at `POST /v1/tokens` for a short-lived token for each connection
 * and offers that token as the `earshot.bearer.…` WebSocket subprotocol (browsers cannot set headers). The key
 * stays in this tab (sessionStorage) and is never put in a URL; only the share link's session-bound watch token is.
 * A page opened with `?token=` (a token minted elsewhere) uses that token as it is.
 */

const KEY_STORAGE = 'earshot.key';
/** Long enough to connect; each reconnect mints a fresh one from the key. */
const TOKEN_TTL_SECONDS = 600;

/** Whether the server wants a credential: `GET /v1/models` needs one exactly when auth is on. */
export async function authRequired(): Promise<boolean> {
  try {
    return (await fetch('/v1/models', { headers: { accept: 'application/json' } })).status === 401;
  } catch {
    return false; // unknown: a refused start will say so
  }
}

export function savedKey(): string {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

export function saveKey(key: string): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** Thrown when the server refuses the key; the message is the server's. */
export class KeyRefused extends Error {}

/** A short-lived realtime token for `key`. */
export async function exchangeKey(key: string): Promise<string> {
  const res = await fetch('/v1/tokens', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scopes: ['realtime'], ttl_seconds: TOKEN_TTL_SECONDS }),
  });
  const body = (await res.json().catch(() => null)) as { token?: unknown; error?: { message?: string } } | null;
  if (!res.ok) {
    const message = body?.error?.message ?? `the server answered ${res.status}`;
    if (res.status === 401 || res.status === 403) throw new KeyRefused(message);
    throw new Error(message);
  }
  return String(body?.token);
}

/** The subprotocols that carry `token` on a WebSocket (none without one); the server answers with `earshot`. */
export function bearerProtocols(token: string): string[] {
  return token ? ['earshot', `earshot.bearer.${token}`] : [];
}
