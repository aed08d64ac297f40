/** SessionStore in a Redis hash per session, expiring `retentionMs` after its last update. */
import type { Redis } from 'ioredis';
import type { SessionMeta, SessionStore } from '../ports.ts';
import type { RedisKeys } from './keys.ts';

export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #retentionMs: number;

  constructor(redis: Redis, keys: RedisKeys, retentionMs: number) {
    this.#redis = redis;
    this.#keys = keys;
    this.#retentionMs = retentionMs;
  }

  async create(meta: SessionMeta): Promise<void> {
    await this.update(meta.id, meta);
  }

  async get(id: string): Promise<SessionMeta | undefined> {
    const h = await this.#redis.hgetall(this.#keys.session(id));
    if (!h.language) return undefined;
    return {
      id,
      language: h.language,
      targets: JSON.parse(h.targets ?? '[]') as string[],
      segments: Number(h.segments ?? 0),
      audioEnd: Number(h.audioEnd ?? 0),
      stopped: h.stopped === '1',
      ...(h.glossary ? { glossary: JSON.parse(h.glossary) as SessionMeta['glossary'] } : {}),
      ...(h.speak ? { speak: JSON.parse(h.speak) as string[] } : {}),
      ...(h.owner ? { owner: h.owner } : {}),
      ...(h.summary ? { summary: h.summary } : {}),
    };
  }

  async update(id: string, patch: Partial<Omit<SessionMeta, 'id'>>): Promise<void> {
    const fields: Record<string, string> = {};
    if (patch.language !== undefined) fields.language = patch.language;
    if (patch.targets !== undefined) fields.targets = JSON.stringify(patch.targets);
    if (patch.segments !== undefined) fields.segments = String(patch.segments);
    if (patch.audioEnd !== undefined) fields.audioEnd = String(patch.audioEnd);
    if (patch.stopped !== undefined) fields.stopped = patch.stopped ? '1' : '0';
    if (patch.glossary !== undefined) fields.glossary = JSON.stringify(patch.glossary);
    if (patch.speak !== undefined) fields.speak = JSON.stringify(patch.speak);
    if (patch.owner !== undefined) fields.owner = patch.owner;
    if (patch.summary !== undefined) fields.summary = patch.summary;
    const key = this.#keys.session(id);
    await this.#redis.multi().hset(key, fields).pexpire(key, this.#retentionMs).exec();
  }

  async close(): Promise<void> {}
}
