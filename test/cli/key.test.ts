/** `earshot key`: prints a new key once and the hashed record an edge accepts it by. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KeyRing, parseKeyRecords } from '../../edge/auth/api-keys.ts';

const earshot = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/earshot.mjs', 'key', ...args], { encoding: 'utf8' });

describe('earshot key', () => {
  it('prints a key and a record that verifies it, with the scopes and limits asked for', () => {
    const run = earshot('--id', 'ci-runner', '--scopes', 'batch,watch', '--max-sessions', '3', '--rpm', '30');
    expect(run.status).toBe(0);
    const [, key, , record] = run.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(key).toMatch(/^esk_/);
    const records = parseKeyRecords(record!, 'stdout');
    expect(records[0]).toMatchObject({
      id: 'ci-runner',
      scopes: ['batch', 'watch'],
      max_sessions: 3,
      requests_per_minute: 30,
    });
    expect(record).not.toContain(key!.slice(4));
    expect(new KeyRing(records).verify(key!)?.id).toBe('ci-runner');
  });

  it('explains a bad scope and exits 1', () => {
    const run = earshot('--id', 'x', '--scopes', 'admin');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/scopes/);
  });
});
