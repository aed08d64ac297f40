/**
 * API keys, stored hashed. A key is `esk_` and 32 random bytes (base64url); only its SHA-256 is kept, in a JSON
 * record with the key's id, scopes and limits. 256 random bits cannot be brute-forced through a fast hash, so a
 * slow one (scrypt) would add nothing but a CPU cost that any unauthenticated caller could make the edge pay per
 * request. Records come from a file (`EARSHOT_API_KEYS_FILE`) and/or the environment (`EARSHOT_API_KEYS`); this
 * module only parses them, so it runs wherever node:crypto does (Node, and Workers with nodejs_compat).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../shared/config.ts';
import { Glossary } from '../../shared/glossary.ts';
import { KeyHooks } from '../hooks/settings.ts';

export const SCOPES = ['realtime', 'batch', 'watch'] as const;
export type Scope = (typeof SCOPES)[number];

const KEY_PREFIX = 'esk_';

export const KeyRecord = z.object({
  id: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, "_", "." or "-"'),
  hash: z.string().regex(/^sha256\$[0-9a-f]{64}$/, '"sha256$" and 64 hex digits (earshot key prints it)'),
  scopes: z.array(z.enum(SCOPES)).min(1),
  name: z.string().optional(),
  max_sessions: z.number().int().positive().optional(),
  requests_per_minute: z.number().int().positive().optional(),
  max_viewers: z.number().int().positive().optional(),
  /** Default glossary of the key's realtime sessions; a session's own glossary is merged over it. */
  glossary: Glossary.optional(),
  /** LLM hooks and a webhook for every realtime session of the key (docs/llm-hooks.md); the webhook secret is never logged. */
  hooks: KeyHooks.optional(),
});
export type KeyRecord = z.infer<typeof KeyRecord>;

export const hashKey = (key: string): string => `sha256$${createHash('sha256').update(key).digest('hex')}`;

export const looksLikeApiKey = (credential: string): boolean => credential.startsWith(KEY_PREFIX);

/** A new key and the record to store for it; the key itself is shown once and kept nowhere. */
export function createApiKey(fields: Omit<KeyRecord, 'hash'>): { key: string; record: KeyRecord } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, record: KeyRecord.parse({ ...fields, hash: hashKey(key) }) };
}

/** Parses records: a JSON array, or one JSON object per line (blank lines and `#` comments skipped). */
export function parseKeyRecords(text: string, source: string): KeyRecord[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  let entries: { value: unknown; where: string }[];
  try {
    entries = trimmed.startsWith('[')
      ? (JSON.parse(trimmed) as unknown[]).map((value, i) => ({ value, where: `${source} entry ${i + 1}` }))
      : trimmed
          .split('\n')
          .map((line, i) => ({ line: line.trim(), where: `${source} line ${i + 1}` }))
          .filter(({ line }) => line && !line.startsWith('#'))
          .map(({ line, where }) => ({ value: JSON.parse(line) as unknown, where }));
  } catch (err) {
    throw new ConfigError(`${source}: not JSON: ${(err as Error).message}`);
  }
  return entries.map(({ value, where }) => {
    const parsed = KeyRecord.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(`${where}: ${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  });
}

/** The keys an edge accepts. */
export class KeyRing {
  readonly #byHash = new Map<string, KeyRecord>();
  readonly #byId = new Map<string, KeyRecord>();

  constructor(records: readonly KeyRecord[]) {
    for (const record of records) {
      if (this.#byId.has(record.id)) throw new ConfigError(`API key id "${record.id}" is listed twice`);
      this.#byId.set(record.id, record);
      this.#byHash.set(record.hash, record);
    }
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The record of a presented key, or undefined. */
  verify(key: string): KeyRecord | undefined {
    return looksLikeApiKey(key) ? this.#byHash.get(hashKey(key)) : undefined;
  }

  byId(id: string): KeyRecord | undefined {
    return this.#byId.get(id);
  }
}
