/**
 * `earshot stream` as a user runs it: a real process, a 44.1 kHz stereo WAV (made with sox from a librivox
 * recording), the real embedded server; it prints finals and Spanish translations and exits 0 after `done`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../support/server.ts';
import { LIBRIVOX_DIR } from '../support/librivox.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
const dir = mkdtempSync(join(tmpdir(), 'earshot-cli-'));

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close(0);
  rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/earshot.mjs', 'stream', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('earshot stream', () => {
  it('streams a 44.1 kHz stereo WAV, prints finals and translations, exits 0 after done', async () => {
    const wav = join(dir, 'stereo-44k.wav');
    execFileSync('sox', [`${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0880.wav`, '-r', '44100', '-c', '2', wav]);
    const { code, stdout, stderr } = await runCli([wav, '--targets', 'es', '--speed', '4', '--url', server.wsUrl, '--json']);
    expect(code, stderr).toBe(0);
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; text?: string; lang?: string });
    expect(events.at(-1)!.type).toBe('done');
    const finals = events.filter((e) => e.type === 'final');
    expect(finals.map((f) => f.text).join(' ')).toContain('young man');
    expect(events.filter((e) => e.type === 'translation' && e.lang === 'es')).toHaveLength(finals.length);
  });

  it('prints human-readable captions by default', async () => {
    const { code, stdout } = await runCli([`${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0930.wav`, '--targets', 'es', '--speed', '0', '--url', server.wsUrl]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\[\d+\.\d\d.\d+\.\d\d\] .*amiable/);
    expect(stdout).toMatch(/^ {2}es: \S/m);
  });

  it('exits non-zero with a clear message when no server listens', async () => {
    const { code, stderr } = await runCli([`${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0930.wav`, '--url', 'ws://127.0.0.1:9/v1/realtime']);
    expect(code).toBe(1);
    expect(stderr.toLowerCase()).toMatch(/connect|refused/);
  });
});
