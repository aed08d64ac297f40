import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config.ts';
import { createApiKey, hashKey, KeyRing, parseKeyRecords } from '../../../edge/auth/api-keys.ts';
import { loadKeyRing } from '../../../edge/adapters/node/auth.ts';

describe('API keys', () => {
  it('are random, prefixed, and stored only as their SHA-256', () => {
    const a = createApiKey({ id: 'a', scopes: ['batch'] });
    const b = createApiKey({ id: 'b', scopes: ['batch'] });
    expect(a.key).toMatch(/^esk_[\w-]{43}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.record.hash).toBe(hashKey(a.key));
    expect(JSON.stringify(a.record)).not.toContain(a.key.slice(4));
  });

  it('verify finds the record of a key and nothing for a wrong or foreign credential', () => {
    const { key, record } = createApiKey({ id: 'ci', scopes: ['realtime', 'watch'], max_sessions: 2 });
    const ring = new KeyRing([record]);
    expect(ring.verify(key)).toEqual(record);
    expect(ring.verify(`${key}x`)).toBeUndefined();
    expect(ring.verify('sk-openai-style')).toBeUndefined();
    expect(ring.byId('ci')).toEqual(record);
  });

  it('rejects two records with one id', () => {
    const { record } = createApiKey({ id: 'dup', scopes: ['batch'] });
    expect(() => new KeyRing([record, { ...record, hash: hashKey('esk_other') }])).toThrow(/listed twice/);
  });
});

describe('key records', () => {
  const one = createApiKey({ id: 'one', scopes: ['batch'] }).record;
  const two = createApiKey({ id: 'two', scopes: ['realtime'], requests_per_minute: 5 }).record;

  it('parse from a JSON array or from JSON lines with comments and blank lines', () => {
    expect(parseKeyRecords(JSON.stringify([one, two]), 'test')).toEqual([one, two]);
    expect(parseKeyRecords(`# CI keys\n${JSON.stringify(one)}\n\n${JSON.stringify(two)}\n`, 'test')).toEqual([
      one,
      two,
    ]);
    expect(parseKeyRecords('  ', 'test')).toEqual([]);
  });

  it('report the line and field of a bad record, and refuse plaintext keys in place of hashes', () => {
    expect(() =>
      parseKeyRecords(`${JSON.stringify(one)}\n{"id":"x","hash":"esk_plain","scopes":["batch"]}`, 'keys.jsonl'),
    ).toThrow(/keys\.jsonl line 2: hash/);
    expect(() => parseKeyRecords('{"id":"x","hash":"sha256$' + '0'.repeat(64) + '","scopes":["admin"]}', 'k')).toThrow(
      /scopes/,
    );
    expect(() => parseKeyRecords('[{', 'k')).toThrow(ConfigError);
  });

  it('load from a file and the environment together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-keys-'));
    writeFileSync(join(dir, 'keys.jsonl'), `${JSON.stringify(one)}\n`);
    const ring = loadKeyRing(join(dir, 'keys.jsonl'), JSON.stringify([two]));
    expect(ring.size).toBe(2);
    expect(() => loadKeyRing(join(dir, 'missing'), '')).toThrow(/EARSHOT_API_KEYS_FILE/);
  });
});
