/**
 * WebSocket close codes are decided in one module (shared/close-codes.ts): this scans the sources so no `close(…)`
 * call or `…CLOSE` table elsewhere spells a code as a number again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOSE, REALTIME_CLOSE, REFUSAL_CLOSE, WATCH_CLOSE } from '../../shared/close-codes.ts';
import { ERROR_CODES } from '../../shared/errors.ts';
import * as protocol from '../../shared/protocol.ts';

const ROOTS = ['edge', 'shared', 'client', 'cli', 'gpu-runners', 'desktop', 'bench', 'scripts'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('close codes', () => {
  it('are spelled as numbers only in shared/close-codes.ts', () => {
    const offences: string[] = [];
    for (const file of ROOTS.flatMap(sources)) {
      if (file === join('shared', 'close-codes.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (
            /\bclose\(\s*[14]\d{3}\b/.test(line) ||
            /\b[A-Z_]*CLOSE[A-Z_]*\b[^=;]*=\s*(\{[^}]*)?\b[14]\d{3}\b/.test(line)
          )
            offences.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offences).toEqual([]);
  });

  it('are the protocol’s: clients importing the protocol read the same tables', () => {
    expect(protocol.REALTIME_CLOSE).toBe(REALTIME_CLOSE);
    expect(protocol.WATCH_CLOSE).toBe(WATCH_CLOSE);
    // Every auth refusal has a close code, and it is HTTP's status plus 4000, as the error list says.
    for (const [code, close] of Object.entries(REFUSAL_CLOSE))
      expect(close, code).toBe(4000 + ERROR_CODES[code as keyof typeof REFUSAL_CLOSE].http);
    expect(new Set(Object.values(CLOSE)).size).toBe(Object.keys(CLOSE).length);
  });
});
