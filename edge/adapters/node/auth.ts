/** The Node edge's authenticator: keys from EARSHOT_API_KEYS_FILE too, and limits in Redis when edges share it. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import { createRedis } from '../../../shared/queue/redis/connection.ts';
import { redisKeys } from '../../../shared/queue/redis/keys.ts';
import { KeyRing, parseKeyRecords, type KeyRecord } from '../../auth/api-keys.ts';
import type { Authenticator } from '../../auth/authenticator.ts';
import { authEnabled, authenticatorFromConfig } from '../../auth/from-config.ts';
import { MemoryLimiter, type Limiter } from '../../auth/limits.ts';
import { RedisLimiter } from '../../auth/redis-limiter.ts';
import { MemoryRevocations, RedisRevocations } from '../../auth/revocations.ts';

function keyFile(file: string): KeyRecord[] {
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`EARSHOT_API_KEYS_FILE ${file}: ${(err as Error).message}`);
  }
  return parseKeyRecords(text, file);
}

/** The keys of EARSHOT_API_KEYS_FILE and EARSHOT_API_KEYS together. */
export function loadKeyRing(file: string, json: string): KeyRing {
  return new KeyRing([...keyFile(file), ...parseKeyRecords(json, 'EARSHOT_API_KEYS')]);
}

export function createAuth(config: Config, logger: Logger): { auth: Authenticator; close(): Promise<void> } {
  const enabled = authEnabled(config);
  // Without a configured secret, each edge signs with its own: fine alone, but tokens do not travel between edges.
  if (!config.jwtSecret && enabled && config.redis)
    logger.warn('EARSHOT_JWT_SECRET is not set: tokens from this edge are valid on this edge only');
  // Limits live in Redis when edges share it, so a key's limits hold across the deployment, not per edge.
  const redis = enabled && config.redis ? createRedis(config.redis, logger, 'auth') : undefined;
  const limiter: Limiter = redis ? new RedisLimiter(redis, redisKeys(config.redisPrefix), logger) : new MemoryLimiter();
  const auth = authenticatorFromConfig(config, logger, {
    extraKeys: keyFile(config.apiKeysFile),
    limiter,
    revocations: redis ? new RedisRevocations(redis, config.redisPrefix) : new MemoryRevocations(),
    fallbackSecret: () => randomBytes(32),
    limitsIn: redis ? 'redis' : 'memory',
  });
  return {
    auth,
    async close() {
      await limiter.close();
      redis?.disconnect();
    },
  };
}
