/**
 * `POST /v1/tokens`: exchanges an API key for a short-lived signed token, for clients that should not hold the key
 * (a web page, a desktop app). Body (JSON, every field optional): `scopes` (a subset of the key's; default all of
 * them), `session` (bind the token to one session, which must exist and be the key's own), `ttl_seconds`
 * (default 600, capped by EARSHOT_TOKEN_MAX_TTL_SECONDS). Tokens cannot mint tokens: that would let a leaked token
 * outlive its expiry.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { SCOPES } from '../auth/api-keys.ts';
import type { SessionStore } from '../../shared/queue/ports.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { refuse } from '../auth/middleware.ts';
import { mayUseSession } from '../auth/session-access.ts';
import { errorResponse } from '../http-errors.ts';

const DEFAULT_TTL_SECONDS = 600;

const TokenRequest = z.object({
  scopes: z.array(z.enum(SCOPES)).min(1).optional(),
  session: z.string().min(1).max(128).optional(),
  ttl_seconds: z.number().int().min(10).optional(),
});

export function mountTokens(app: Hono, auth: Authenticator, store: Pick<SessionStore, 'get'>): void {
  app.post('/v1/tokens', async (c) => {
    // Any scope may ask: the token can only carry scopes the key already has.
    const admission = await auth.admit(c.req, SCOPES);
    if (!admission.ok) return refuse(c, admission);
    const { principal } = admission;
    if (principal.via === 'token')
      return errorResponse(c, 'forbidden', 'tokens cannot be exchanged for tokens; use an API key');
    const raw = await c.req.text();
    let body: unknown = {};
    try {
      if (raw.trim()) body = JSON.parse(raw);
    } catch {
      return errorResponse(c, 'invalid_request', 'the body must be JSON');
    }
    const parsed = TokenRequest.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return errorResponse(c, 'invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const scopes = parsed.data.scopes ?? [...principal.scopes];
    const extra = scopes.filter((s) => !principal.scopes.includes(s));
    if (extra.length > 0)
      return errorResponse(c, 'forbidden', `the key does not have the scope(s) ${extra.join(', ')}`);
    const ttl = Math.min(parsed.data.ttl_seconds ?? DEFAULT_TTL_SECONDS, auth.tokens.maxTtlSeconds);
    const session = parsed.data.session;
    if (session !== undefined) {
      // A key mints tokens for its own sessions only: another tenant's share link must not become a key to it.
      const meta = await store.get(session);
      if (!meta) return errorResponse(c, 'unknown_session', `session ${session} does not exist or has expired`);
      if (!mayUseSession(principal, meta))
        return errorResponse(c, 'forbidden', `session ${session} belongs to another API key`);
    }
    const { token, id, expiresAt } = await auth.tokens.issue(
      { subject: principal.id, scopes, ...(session ? { session } : {}) },
      ttl,
    );
    return c.json(
      {
        id,
        token,
        token_type: 'Bearer',
        expires_in: ttl,
        expires_at: expiresAt,
        scopes,
        ...(session ? { session } : {}),
      },
      201,
    );
  });

  // Revokes a token before its expiry (a watch link shared too widely). Only with the key that issued it: the body
  // carries the token itself, which proves it was issued for this key.
  app.post('/v1/tokens/revoke', async (c) => {
    const admission = await auth.admit(c.req, SCOPES);
    if (!admission.ok) return refuse(c, admission);
    if (admission.principal.via === 'token')
      return errorResponse(c, 'forbidden', 'revoke tokens with the API key that issued them');
    const body = (await c.req.json().catch(() => ({}))) as { token?: unknown };
    if (typeof body.token !== 'string') return errorResponse(c, 'invalid_request', 'body: {"token": "…"} expected');
    const checked = await auth.tokens.verify(body.token);
    if (!checked.ok) return errorResponse(c, 'invalid_request', checked.reason);
    if (checked.claims.subject !== admission.principal.id || !checked.claims.id)
      return errorResponse(c, 'forbidden', 'this token was not issued for this key');
    await auth.revocations.revoke(
      checked.claims.id,
      checked.claims.expiresAt ?? Math.floor(Date.now() / 1000) + auth.tokens.maxTtlSeconds,
    );
    return c.json({ revoked: checked.claims.id });
  });
}
