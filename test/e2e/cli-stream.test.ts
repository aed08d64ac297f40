/**
 * `earshot stream` as a user runs it: a real process, a 44.1 kHz stereo WAV (made with sox from a librivox
 * recording), the real embedded server; it prints finals and Spanish translations and exits 0 after `done`. With
 * auth on (as on any non-loopback host) it authenticates with EARSHOT_TOKEN, reads an mp3 from stdin, and prints a
 * watch link whose token lets a viewer in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createApiKey } from '../../edge/auth/api-keys.ts';
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

function runCli(
  args: string[],
  options: { env?: Record<string, string>; stdinFile?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, EARSHOT_TOKEN: '', ...options.env };
    const child = spawn(process.execPath, ['bin/earshot.mjs', 'stream', ...args], {
      stdio: [options.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env,
    });
    if (options.stdinFile) createReadStream(options.stdinFile).pipe(child.stdin!);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('earshot stream', () => {
  it('streams a 44.1 kHz stereo WAV, prints finals and translations, exits 0 after done', async () => {
    const wav = join(dir, 'stereo-44k.wav');
    execFileSync('sox', [
      `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0880.wav`,
      '-r',
      '44100',
      '-c',
      '2',
      wav,
    ]);
    const { code, stdout, stderr } = await runCli([
      wav,
      '--targets',
      'es',
      '--speed',
      '4',
      '--url',
      server.wsUrl,
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; text?: string; lang?: string });
    expect(events.at(-1)!.type).toBe('done');
    const finals = events.filter((e) => e.type === 'final');
    expect(finals.map((f) => f.text).join(' ')).toContain('young man');
    expect(events.filter((e) => e.type === 'translation' && e.lang === 'es')).toHaveLength(finals.length);
  });

  it('prints human-readable captions by default', async () => {
    const { code, stdout } = await runCli([
      `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0930.wav`,
      '--targets',
      'es',
      '--speed',
      '0',
      '--url',
      server.wsUrl,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\[\d+\.\d\d.\d+\.\d\d\] .*amiable/);
    expect(stdout).toMatch(/^ {2}es: \S/m);
  });

  it('exits non-zero with a clear message when no server listens', async () => {
    const { code, stderr } = await runCli([
      `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0930.wav`,
      '--url',
      'ws://127.0.0.1:9/v1/realtime',
    ]);
    expect(code).toBe(1);
    expect(stderr.toLowerCase()).toMatch(/connect|refused/);
  });
});

describe('earshot stream with auth on', () => {
  const key = createApiKey({ id: 'streamer', scopes: ['realtime'] });
  let authed: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    authed = await startTestServer({
      EARSHOT_AUTH: 'on',
      EARSHOT_API_KEYS: JSON.stringify([key.record]),
      EARSHOT_JWT_SECRET: 'test-secret-that-is-at-least-32-characters',
    });
  });
  afterAll(async () => {
    await authed?.close(0);
  });

  it('says to pass --token when none is given', async () => {
    const { code, stderr } = await runCli([
      `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0930.wav`,
      '--url',
      authed.wsUrl,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/auth on: pass --token KEY \(or set EARSHOT_TOKEN\) \[unauthorized\]/);
  });

  it('streams an mp3 from stdin with EARSHOT_TOKEN and prints a watch link that admits a viewer', async () => {
    const mp3 = join(dir, 'speech.mp3');
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-i',
      `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0880.wav`,
      mp3,
    ]);
    const { code, stdout, stderr } = await runCli(['-', '--speed', '0', '--url', authed.wsUrl], {
      env: { EARSHOT_TOKEN: key.key },
      stdinFile: mp3,
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('young man');
    const link = /watch live at (\S+)/.exec(stderr)?.[1];
    expect(link).toMatch(new RegExp(`^${authed.server.url}/watch/[\\w-]+\\?token=`));
    // The viewer's socket carries the link's token as ?token= (as the watch page does) and is let in.
    const url = new URL(link!);
    const session = url.pathname.split('/').at(-1)!;
    const viewer = new WebSocket(
      `${authed.server.url.replace('http', 'ws')}/v1/watch/${session}?token=${url.searchParams.get('token')}`,
    );
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      viewer.once('message', (data) => resolve(JSON.parse(String(data)) as { type: string }));
      viewer.once('error', reject);
    });
    viewer.close();
    expect(first.type).toBe('ready');
  });
});
