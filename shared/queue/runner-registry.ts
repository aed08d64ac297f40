/**
 * Runner heartbeats: each runner announces itself (role, engine, what it can do, counters) every few seconds with
 * a time-to-live; edges list the live ones for /health/full and for checking a session's languages at `start`.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis/keys.ts';

export interface RunnerInfo {
  id: string;
  role: 'stt' | 'mt' | 'tts';
  engine: string;
  /** STT: languages it transcribes; TTS: languages it speaks. */
  languages?: string[];
  /** MT: supported pairs as "source-target". */
  pairs?: string[];
  /** The model the engine loaded (ONNX engines); engines without a model choice omit it. */
  model?: string;
  /** When the runner started (ms since the epoch). */
  startedAt?: number;
  /** STT runners whose engine streams: utterance states held now and the most it holds (the streaming lane). */
  streams?: { held: number; max: number };
  processed: number;
  failed: number;
  state: string;
  at: number;
}

export interface RunnerRegistry {
  beat(info: RunnerInfo, ttlMs: number): Promise<void>;
  live(): Promise<RunnerInfo[]>;
}

export class MemoryRunnerRegistry implements RunnerRegistry {
  readonly #runners = new Map<string, { info: RunnerInfo; until: number }>();

  async beat(info: RunnerInfo, ttlMs: number): Promise<void> {
    this.#runners.set(`${info.role}:${info.id}`, { info, until: Date.now() + ttlMs });
  }

  async live(): Promise<RunnerInfo[]> {
    const now = Date.now();
    return [...this.#runners.values()].filter((r) => r.until > now).map((r) => r.info);
  }
}

export class RedisRunnerRegistry implements RunnerRegistry {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async beat(info: RunnerInfo, ttlMs: number): Promise<void> {
    await this.#redis.set(this.#keys.runner(info.role, info.id), JSON.stringify(info), 'PX', ttlMs);
  }

  async live(): Promise<RunnerInfo[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(cursor, 'MATCH', this.#keys.runnerPattern, 'COUNT', 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.#redis.mget(keys);
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as RunnerInfo);
  }
}
