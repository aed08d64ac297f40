import { describe, expect, it } from 'vitest';
import { createApiKey, KeyRing } from '../../../edge/auth/api-keys.ts';
import { Authenticator, type CredentialSource } from '../../../edge/auth/authenticator.ts';
import { MemoryLimiter } from '../../../edge/auth/limits.ts';
import { TokenService } from '../../../edge/auth/tokens.ts';
import { authEnabled } from '../../../edge/auth/from-config.ts';
import { isLoopback } from '../../../edge/auth/browser-origin.ts';
import { MemoryRevocations } from '../../../edge/auth/revocations.ts';

const secret = new TextEncoder().encode('x'.repeat(32));

describe('TokenService', () => {
  const tokens = new TokenService(secret, 3600);

  it('round-trips subject, scopes and session binding', async () => {
    const { token, id, expiresAt } = await tokens.issue(
      { subject: 'web', scopes: ['realtime', 'watch'], session: 's1' },
      600,
    );
    expect(expiresAt - Date.now() / 1000).toBeGreaterThan(590);
    expect(await tokens.verify(token)).toEqual({
      ok: true,
      claims: { subject: 'web', scopes: ['realtime', 'watch'], session: 's1', id, expiresAt },
    });
  });

  it('caps the lifetime at the configured maximum', async () => {
    const short = new TokenService(secret, 60);
    const { expiresAt } = await short.issue({ subject: 'web', scopes: ['batch'] }, 86400);
    expect(expiresAt - Date.now() / 1000).toBeLessThanOrEqual(60);
  });

  it('refuses expired, tampered and foreign-secret tokens', async () => {
    const expired = await tokens.issue({ subject: 'web', scopes: ['batch'] }, -5);
    expect(await tokens.verify(expired.token)).toEqual({ ok: false, reason: expect.stringMatching(/expired/) });
    const { token } = await tokens.issue({ subject: 'web', scopes: ['batch'] }, 60);
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'batch realtime watch' }),
    ).toString('base64url');
    expect((await tokens.verify(`${header}.${forged}.${signature}`)).ok).toBe(false);
    const other = new TokenService(new TextEncoder().encode('y'.repeat(32)), 3600);
    expect((await other.verify(token)).ok).toBe(false);
  });
});

describe('MemoryLimiter', () => {
  it('allows perMinute requests per window, then says when the window resets', async () => {
    let now = 60_000 * 100 + 15_000;
    const limiter = new MemoryLimiter(() => now);
    for (let i = 0; i < 3; i++) expect(await limiter.hit('k', 3)).toEqual({ ok: true });
    expect(await limiter.hit('k', 3)).toEqual({ ok: false, retryAfterSeconds: 45 });
    expect(await limiter.hit('other', 3)).toEqual({ ok: true });
    now += 45_000;
    expect(await limiter.hit('k', 3)).toEqual({ ok: true });
  });

  it('hands out at most max session slots and takes each back once', async () => {
    const limiter = new MemoryLimiter();
    const a = await limiter.acquire('k', 2);
    const b = await limiter.acquire('k', 2);
    expect(a && b).toBeTruthy();
    expect(await limiter.acquire('k', 2)).toBeNull();
    a!();
    a!(); // twice must not free two slots
    expect(await limiter.acquire('k', 2)).not.toBeNull();
    expect(await limiter.acquire('k', 2)).toBeNull();
  });
});

describe('Authenticator', () => {
  const web = createApiKey({ id: 'web', scopes: ['realtime', 'watch'], requests_per_minute: 2 });
  const tokens = new TokenService(secret, 3600);
  const auth = new Authenticator({
    enabled: true,
    keys: new KeyRing([web.record]),
    tokens,
    limiter: new MemoryLimiter(),
    revocations: new MemoryRevocations(),
    defaults: { maxSessions: 4, requestsPerMinute: 100, maxViewers: 10 },
  });
  const req = (
    headers: Record<string, string>,
    query: Record<string, string> = {},
    method = 'GET',
  ): CredentialSource => ({
    method,
    header: (name) => headers[name],
    query: (name) => query[name],
  });

  it('reads the credential from Authorization, the WebSocket subprotocol, or ?token= (tokens, GET only)', () => {
    expect(auth.credential(req({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(auth.credential(req({ 'sec-websocket-protocol': 'earshot, earshot.bearer.tok' }))).toBe('tok');
    expect(auth.credential(req({}, { token: 'tok' }))).toBe('tok');
    expect(auth.credential(req({}, { token: 'tok' }, 'POST'))).toBeUndefined();
    // A long-lived key in a URL would end up in access logs.
    expect(auth.credential(req({}, { token: web.key }))).toBeUndefined();
  });

  it('admits by scope, refuses others with 401/403/429 codes', async () => {
    expect(await auth.admit(req({}), ['realtime'])).toMatchObject({ ok: false, code: 'unauthorized' });
    expect(await auth.admit(req({ authorization: 'Bearer esk_nope' }), ['realtime'])).toMatchObject({
      ok: false,
      code: 'unauthorized',
    });
    expect(await auth.admit(req({ authorization: `Bearer ${web.key}` }), ['realtime'])).toMatchObject({
      ok: true,
      principal: { id: 'web', via: 'key' },
    });
    expect(await auth.admit(req({ authorization: `Bearer ${web.key}` }), ['batch'])).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(await auth.admit(req({ authorization: `Bearer ${web.key}` }), ['watch'])).toMatchObject({
      ok: false,
      code: 'rate_limited',
      retryAfterSeconds: expect.any(Number),
    });
  });

  it('limits a token by its key, narrows it to scopes the key still has, and revokes it with the key', async () => {
    const { token } = await tokens.issue({ subject: 'web', scopes: ['watch', 'batch'], session: 's1' }, 60);
    const who = await auth.identify(req({}, { token }));
    expect(who).toMatchObject({
      id: 'web',
      via: 'token',
      scopes: ['watch'],
      session: 's1',
      limits: { requestsPerMinute: 2, maxSessions: 4, maxViewers: 10 },
    });
    const orphan = await tokens.issue({ subject: 'deleted-key', scopes: ['watch'] }, 60);
    expect(await auth.identify(req({}, { token: orphan.token }))).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/no longer exists/),
    });
    expect(Authenticator.canAccessSession(who as never, 's1')).toBe(true);
    expect(Authenticator.canAccessSession(who as never, 's2')).toBe(false);
  });
});

describe('auth mode', () => {
  it('auto is off on loopback addresses and on everywhere else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'edge.example.com']) expect(isLoopback(host), host).toBe(false);
    expect(authEnabled({ auth: 'auto', host: '127.0.0.1' })).toBe(false);
    expect(authEnabled({ auth: 'auto', host: '0.0.0.0' })).toBe(true);
    expect(authEnabled({ auth: 'off', host: '0.0.0.0' })).toBe(false);
    expect(authEnabled({ auth: 'on', host: '127.0.0.1' })).toBe(true);
  });

  it('auto is on for a runtime that is always public (Workers), whatever HOST says; off stays off', () => {
    expect(authEnabled({ auth: 'auto', host: '127.0.0.1' }, 'public')).toBe(true);
    expect(authEnabled({ auth: 'off', host: '127.0.0.1' }, 'public')).toBe(false);
  });
});
