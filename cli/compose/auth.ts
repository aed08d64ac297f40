/** Builds the edge's authenticator from configuration: keys, token secret, and per-key limits (Redis when shared). */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { createRedis } from '../../shared/queue/redis/connection.ts';
import { redisKeys } from '../../shared/queue/redis/keys.ts';
import { KeyRing, parseKeyRecords, type KeyRecord } from '../../edge/auth/api-keys.ts';
import { isLoopback } from '../../edge/auth/browser-origin.ts';
import { Authenticator } from '../../edge/auth/authenticator.ts';
import { MemoryLimiter, type Limiter } from '../../edge/auth/limits.ts';
import { RedisLimiter } from '../../edge/auth/redis-limiter.ts';
import { TokenService } from '../../edge/auth/tokens.ts';
import { MemoryRevocations, RedisRevocations } from '../../edge/auth/revocations.ts';

export { isLoopback };

export function authEnabled(config: Pick<Config, 'auth' | 'host'>): boolean {
  return config.auth === 'on' || (config.auth === 'auto' && !isLoopback(config.host));
}

/** The keys of EARSHOT_API_KEYS_FILE and EARSHOT_API_KEYS together. */
export function loadKeyRing(file: string, json: string): KeyRing {
  const records: KeyRecord[] = [];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`EARSHOT_API_KEYS_FILE ${file}: ${(err as Error).message}`);
    }
    records.push(...parseKeyRecords(text, file));
  }
  records.push(...parseKeyRecords(json, 'EARSHOT_API_KEYS'));
  return new KeyRing(records);
}

export function createAuth(config: Config, logger: Logger): { auth: Authenticator; close(): Promise<void> } {
  const enabled = authEnabled(config);
  const keys = loadKeyRing(config.apiKeysFile, config.apiKeys);
  if (enabled && keys.size === 0) {
    logger.error('auth is on but no API keys are configured (EARSHOT_API_KEYS_FILE, EARSHOT_API_KEYS): every API request will be refused (401)');
  }
  // Without a configured secret, each edge signs with its own: fine alone, but tokens do not travel between edges.
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : randomBytes(32);
  if (!config.jwtSecret && enabled && config.redis) logger.warn('EARSHOT_JWT_SECRET is not set: tokens from this edge are valid on this edge only');
  // Limits live in Redis when edges share it, so a key's limits hold across the deployment, not per edge.
  const redis = enabled && config.redis ? createRedis(config.redis, logger, 'auth') : undefined;
  const limiter: Limiter = redis ? new RedisLimiter(redis, redisKeys(config.redisPrefix), logger) : new MemoryLimiter();
  logger.info({ auth: enabled ? 'on' : 'off', keys: keys.size, limits: redis ? 'redis' : 'memory' }, 'auth');
  return {
    auth: new Authenticator({
      enabled,
      keys,
      tokens: new TokenService(secret, config.tokenMaxTtlSeconds),
      limiter,
      revocations: redis ? new RedisRevocations(redis, config.redisPrefix) : new MemoryRevocations(),
      defaults: { maxSessions: config.keyMaxSessions, requestsPerMinute: config.keyRpm, maxViewers: config.keyMaxViewers },
    }),
    async close() {
      await limiter.close();
      redis?.disconnect();
    },
  };
}
