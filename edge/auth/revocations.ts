/**
 * Revoked tokens (a watch link shared too widely, a lost device): kept until the token would have expired anyway,
 * in memory for one edge, in Redis when edges share it, so a revocation holds across the deployment at once.
 */
import type { Redis } from 'ioredis';

export interface Revocations {
  revoke(tokenId: string, expiresAt: number): Promise<void>;
  isRevoked(tokenId: string): Promise<boolean>;
}

export class MemoryRevocations implements Revocations {
  readonly #until = new Map<string, number>();

  async revoke(tokenId: string, expiresAt: number): Promise<void> {
    this.#until.set(tokenId, expiresAt);
    const now = Date.now() / 1000;
    for (const [id, until] of this.#until) if (until < now) this.#until.delete(id);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    return (this.#until.get(tokenId) ?? 0) >= Date.now() / 1000;
  }
}

export class RedisRevocations implements Revocations {
  readonly #redis: Redis;
  readonly #key: (tokenId: string) => string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#key = (tokenId) => `${prefix}:revoked-token:${tokenId}`;
  }

  async revoke(tokenId: string, expiresAt: number): Promise<void> {
    const ttlMs = Math.max(1000, expiresAt * 1000 - Date.now());
    await this.#redis.set(this.#key(tokenId), '1', 'PX', ttlMs);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    return (await this.#redis.exists(this.#key(tokenId))) === 1;
  }
}
