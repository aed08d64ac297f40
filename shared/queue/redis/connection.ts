/**
 * Redis connections. ioredis reconnects by itself; the retry strategy makes that exponential with jitter (capped),
 * and commands issued while disconnected wait in its offline queue instead of failing, so a Redis restart delays
 * work rather than losing it.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';

export const reconnectDelayMs = (attempt: number): number =>
  Math.min(5000, 50 * 2 ** Math.min(attempt, 7)) * (0.75 + Math.random() * 0.5);

export function createRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: `earshot-${name}`,
    // BullMQ's blocking commands need this; the offline queue holds commands until the connection is back.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: reconnectDelayMs,
    lazyConnect: false,
  });
  let down = false;
  redis.on('error', (err) => {
    if (!down) logger.warn({ redis: name, err: err.message }, 'redis connection error; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: name }, 'redis reconnected');
    down = false;
  });
  return redis;
}
