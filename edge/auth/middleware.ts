/** Route guards: HTTP routes name the scopes they need; refusals are 401/403/429 with the usual JSON error body. */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { errorResponse } from '../http-errors.ts';
import type { Scope } from './api-keys.ts';
import type { Authenticator, Principal, Refusal } from './authenticator.ts';

export type AuthEnv = { Variables: { principal: Principal } };

export function refuse(c: Context, refusal: Refusal): Response {
  const retry =
    refusal.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(refusal.retryAfterSeconds) };
  return errorResponse(c, refusal.code, refusal.message, retry);
}

/** Admits callers holding any of `anyOf`, counting the request against their key's rate limit. */
export function requireScope(auth: Authenticator, ...anyOf: Scope[]) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const admitted = await auth.admit(c.req, anyOf);
    if (!admitted.ok) return refuse(c, admitted);
    c.set('principal', admitted.principal);
    await next();
  });
}
