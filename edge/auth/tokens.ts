/**
 * Short-lived signed tokens (JWT, HS256) for clients that must not hold a long-lived key: the web page and the
 * desktop app get one from `POST /v1/tokens`. The token names the key it came from (`sub`), so that key's limits
 * apply, a subset of its scopes, and optionally the one session it may be used for.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { SCOPES, type Scope } from './api-keys.ts';

const ISSUER = 'earshot';

export interface TokenClaims {
  /** The API key id the token was issued for. */
  subject: string;
  scopes: Scope[];
  /** Only this session may be resumed, watched or exported with the token. */
  session?: string;
  /** The token's own id (JWT `jti`), by which it can be revoked; set when issued. */
  id?: string;
  /** Expiry, seconds since the epoch; set when verified. */
  expiresAt?: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

export class TokenService {
  readonly #secret: Uint8Array;
  readonly maxTtlSeconds: number;

  constructor(secret: Uint8Array, maxTtlSeconds: number) {
    this.#secret = secret;
    this.maxTtlSeconds = maxTtlSeconds;
  }

  async issue(claims: TokenClaims, ttlSeconds: number): Promise<{ token: string; id: string; expiresAt: number }> {
    const id = crypto.randomUUID();
    const expiresAt = Math.floor(Date.now() / 1000) + Math.min(ttlSeconds, this.maxTtlSeconds);
    const token = await new SignJWT({
      scope: claims.scopes.join(' '),
      ...(claims.session ? { sid: claims.session } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.subject)
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setJti(id)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.#secret);
    return { token, id, expiresAt };
  }

  async verify(token: string): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, this.#secret, {
        issuer: ISSUER,
        audience: ISSUER,
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
      });
      const scopes =
        typeof payload.scope === 'string'
          ? payload.scope.split(' ').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))
          : [];
      const session = typeof payload.sid === 'string' ? payload.sid : undefined;
      return {
        ok: true,
        claims: {
          subject: payload.sub!,
          scopes,
          ...(session ? { session } : {}),
          ...(payload.jti ? { id: payload.jti } : {}),
          expiresAt: payload.exp!,
        },
      };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'the token has expired; request a new one' };
      return { ok: false, reason: 'the token is not valid (bad signature, issuer or format)' };
    }
  }
}
