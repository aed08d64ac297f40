/**
 * Who is calling, and may they? A request carries an API key or a token (see `credential`); the authenticator
 * turns it into a Principal (the key, its scopes, its limits), checks the scope a route needs, and counts the
 * request against the key's per-minute limit. With auth off, everyone is an unlimited anonymous principal.
 */
import type { Glossary } from '../../shared/glossary.ts';
import type { KeyHooks } from '../hooks/settings.ts';
import { KeyRing, looksLikeApiKey, SCOPES, type Scope } from './api-keys.ts';
import { MemoryLimiter, type Limiter, type Limits } from './limits.ts';
import { TokenService } from './tokens.ts';
import { MemoryRevocations, type Revocations } from './revocations.ts';

export interface Principal {
  /** The API key id (for tokens: the key they were issued for). */
  id: string;
  via: 'key' | 'token' | 'anonymous';
  scopes: readonly Scope[];
  /** Tokens bound to one session. */
  session?: string;
  limits: Limits;
  /** The key's default glossary, if its record has one. */
  glossary?: Glossary;
  /** The key's LLM hooks and webhook, if its record has them. */
  hooks?: KeyHooks;
}

export interface Refusal {
  code: 'unauthorized' | 'forbidden' | 'rate_limited' | 'session_limit' | 'viewer_limit';
  message: string;
  retryAfterSeconds?: number;
}

export type Admission = { ok: true; principal: Principal } | ({ ok: false } & Refusal);

/** What the authenticator reads of a request (Hono's request satisfies it). */
export interface CredentialSource {
  method: string;
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}

export interface AuthenticatorOptions {
  enabled: boolean;
  keys: KeyRing;
  tokens: TokenService;
  limiter: Limiter;
  /** Tokens revoked before their expiry (watch links). */
  revocations: Revocations;
  /** Limits of keys whose record sets none. */
  defaults: Limits;
}

export const WS_PROTOCOL_PREFIX = 'earshot.bearer.';
/** The subprotocol a browser offers beside its `earshot.bearer.…` credential, for the server to answer with. */
export const WS_PROTOCOL = 'earshot';

/**
 * The subprotocol the server answers an upgrade with: `earshot` when offered, else the first offered one that is
 * not a credential, else none. Never a credential: the answer header is logged by proxies. (A browser that offered
 * only a credential fails the handshake; it must offer `earshot` too, as docs/protocol.md says.)
 */
export function answeredSubprotocol(offered: Iterable<string>): string | false {
  const plain = [...offered].filter((p) => !p.startsWith(WS_PROTOCOL_PREFIX));
  return plain.includes(WS_PROTOCOL) ? WS_PROTOCOL : (plain[0] ?? false);
}

const ANONYMOUS: Principal = {
  id: 'anonymous',
  via: 'anonymous',
  scopes: SCOPES,
  limits: { maxSessions: Infinity, requestsPerMinute: Infinity, maxViewers: Infinity },
};

export class Authenticator {
  readonly #o: AuthenticatorOptions;

  get revocations(): Revocations {
    return this.#o.revocations;
  }

  constructor(options: AuthenticatorOptions) {
    this.#o = options;
  }

  get enabled(): boolean {
    return this.#o.enabled;
  }

  get tokens(): TokenService {
    return this.#o.tokens;
  }

  /**
   * The credential: `Authorization: Bearer …`; for WebSockets from browsers, which cannot set headers, a
   * `Sec-WebSocket-Protocol` entry `earshot.bearer.…` or `?token=…`. The query form is for tokens on GET only:
   * URLs end up in access logs and browser history, so long-lived keys are not accepted there.
   */
  credential(req: CredentialSource): string | undefined {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
    if (bearer) return bearer;
    const protocol = req
      .header('sec-websocket-protocol')
      ?.split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith(WS_PROTOCOL_PREFIX));
    if (protocol) return protocol.slice(WS_PROTOCOL_PREFIX.length);
    const query = req.method === 'GET' ? req.query('token') : undefined;
    return query && !looksLikeApiKey(query) ? query : undefined;
  }

  async identify(req: CredentialSource): Promise<Principal | Refusal> {
    if (!this.#o.enabled) return ANONYMOUS;
    const credential = this.credential(req);
    if (!credential) {
      return {
        code: 'unauthorized',
        message:
          'send an API key or token as "Authorization: Bearer …" (WebSockets: ?token=… or the earshot.bearer.… subprotocol)',
      };
    }
    if (looksLikeApiKey(credential)) {
      const record = this.#o.keys.verify(credential);
      if (!record) return { code: 'unauthorized', message: 'unknown API key' };
      return {
        id: record.id,
        via: 'key',
        scopes: record.scopes,
        limits: this.#limitsOf(record.id),
        ...(record.glossary ? { glossary: record.glossary } : {}),
        ...(record.hooks ? { hooks: record.hooks } : {}),
      };
    }
    const checked = await this.#o.tokens.verify(credential);
    if (!checked.ok) return { code: 'unauthorized', message: checked.reason };
    const { subject, scopes, session, id: tokenId } = checked.claims;
    if (tokenId && (await this.#o.revocations.isRevoked(tokenId)))
      return { code: 'unauthorized', message: 'this token has been revoked' };
    // A token is only as good as its key: removing the key revokes the tokens issued for it.
    const record = this.#o.keys.byId(subject);
    if (!record)
      return { code: 'unauthorized', message: `the API key this token was issued for (${subject}) no longer exists` };
    return {
      id: record.id,
      via: 'token',
      // `realtime` includes watching, so a realtime key's share-link token (scope `watch`) keeps its scope.
      scopes: scopes.filter((s) => record.scopes.includes(s) || (s === 'watch' && record.scopes.includes('realtime'))),
      ...(session ? { session } : {}),
      limits: this.#limitsOf(record.id),
      ...(record.glossary ? { glossary: record.glossary } : {}),
      ...(record.hooks ? { hooks: record.hooks } : {}),
    };
  }

  /** Identifies the caller, checks it holds one of `anyOf`, and counts the request against its rate limit. */
  async admit(req: CredentialSource, anyOf: readonly Scope[]): Promise<Admission> {
    const who = await this.identify(req);
    if ('code' in who) return { ok: false, ...who };
    if (who.via === 'anonymous') return { ok: true, principal: who };
    const rate = await this.#o.limiter.hit(who.id, who.limits.requestsPerMinute);
    if (!rate.ok) {
      return {
        ok: false,
        code: 'rate_limited',
        message: `key ${who.id} is over its limit of ${who.limits.requestsPerMinute} requests per minute`,
        retryAfterSeconds: rate.retryAfterSeconds,
      };
    }
    if (!anyOf.some((scope) => who.scopes.includes(scope))) {
      return {
        ok: false,
        code: 'forbidden',
        message: `this ${who.via === 'key' ? 'key' : 'token'} lacks the ${anyOf.map((s) => `"${s}"`).join(' or ')} scope`,
      };
    }
    return { ok: true, principal: who };
  }

  /** Takes a concurrent-session slot of the principal's key; null when the key has no slot left. */
  async acquireSession(principal: Principal): Promise<(() => void) | null> {
    if (principal.via === 'anonymous') return () => undefined;
    return this.#o.limiter.acquire(principal.id, principal.limits.maxSessions);
  }

  /**
   * Takes one of the key's viewer slots (`/v1/watch`), counted apart from its sessions; null when none is left.
   * A key id cannot contain "/", so the counter cannot meet a key's own.
   */
  async acquireViewer(principal: Principal): Promise<(() => void) | null> {
    if (principal.via === 'anonymous') return () => undefined;
    return this.#o.limiter.acquire(`${principal.id}/viewers`, principal.limits.maxViewers);
  }

  /** Bound tokens may only touch their own session. */
  static canAccessSession(principal: Principal, session: string): boolean {
    return principal.session === undefined || principal.session === session;
  }

  #limitsOf(id: string): Limits {
    const record = this.#o.keys.byId(id);
    return {
      maxSessions: record?.max_sessions ?? this.#o.defaults.maxSessions,
      requestsPerMinute: record?.requests_per_minute ?? this.#o.defaults.requestsPerMinute,
      maxViewers: record?.max_viewers ?? this.#o.defaults.maxViewers,
    };
  }
}

/** Auth off (the embedded loopback default): every caller is anonymous and unlimited; tokens are still issued. */
export function authOff(): Authenticator {
  return new Authenticator({
    enabled: false,
    keys: new KeyRing([]),
    tokens: new TokenService(crypto.getRandomValues(new Uint8Array(32)), 3600),
    limiter: new MemoryLimiter(),
    revocations: new MemoryRevocations(),
    defaults: { maxSessions: Infinity, requestsPerMinute: Infinity, maxViewers: Infinity },
  });
}
