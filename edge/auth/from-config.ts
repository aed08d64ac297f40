/**
 * The authenticator from configuration, on any runtime: which keys, the token secret, the per-key default limits.
 * The runtime supplies what it stores state in (limits and revocations: memory or Redis on Node, Durable Objects
 * on Workers) and where key records come from beyond EARSHOT_API_KEYS (a file on Node).
 */
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { KeyRing, parseKeyRecords, type KeyRecord } from './api-keys.ts';
import { Authenticator } from './authenticator.ts';
import { isLoopback } from './browser-origin.ts';
import type { Limiter } from './limits.ts';
import type { Revocations } from './revocations.ts';
import { TokenService } from './tokens.ts';

/** `auto` is on unless the edge answers only on a loopback address; a runtime that is always public passes `public`. */
export function authEnabled(config: Pick<Config, 'auth' | 'host'>, exposure: 'host' | 'public' = 'host'): boolean {
  if (config.auth !== 'auto') return config.auth === 'on';
  return exposure === 'public' || !isLoopback(config.host);
}

export interface AuthParts {
  /** Records besides EARSHOT_API_KEYS (Node: EARSHOT_API_KEYS_FILE). */
  extraKeys?: KeyRecord[];
  limiter: Limiter;
  revocations: Revocations;
  /** Used when EARSHOT_JWT_SECRET is unset: tokens are then valid only where this secret is. */
  fallbackSecret: () => Uint8Array;
  exposure?: 'host' | 'public';
  /** Where limits are kept, for the log. */
  limitsIn: string;
}

export function authenticatorFromConfig(config: Config, logger: Logger, parts: AuthParts): Authenticator {
  const enabled = authEnabled(config, parts.exposure);
  const keys = new KeyRing([...(parts.extraKeys ?? []), ...parseKeyRecords(config.apiKeys, 'EARSHOT_API_KEYS')]);
  if (enabled && keys.size === 0) {
    logger.error(
      'auth is on but no API keys are configured (EARSHOT_API_KEYS_FILE, EARSHOT_API_KEYS): every API request will be refused (401)',
    );
  }
  logger.info({ auth: enabled ? 'on' : 'off', keys: keys.size, limits: parts.limitsIn }, 'auth');
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : parts.fallbackSecret();
  return new Authenticator({
    enabled,
    keys,
    tokens: new TokenService(secret, config.tokenMaxTtlSeconds),
    limiter: parts.limiter,
    revocations: parts.revocations,
    defaults: {
      maxSessions: config.keyMaxSessions,
      requestsPerMinute: config.keyRpm,
      maxViewers: config.keyMaxViewers,
    },
  });
}
