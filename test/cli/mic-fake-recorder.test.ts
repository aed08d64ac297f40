/**
 * `earshot mic` with a fake recorder: no microphone can be captured on a test machine, so EARSHOT_RECORDER /
 * --recorder runs `sox FILE.wav -t raw …` instead, which writes a librivox recording as the 16 kHz PCM16 a real
 * recorder would. The real process talks to the real embedded server.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { LIBRIVOX_DIR } from '../support/librivox.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
const SOX_AS_MIC = `sox ${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0880.wav -t raw -r 16000 -e signed -b 16 -c 1 -`;

beforeAll(async () => {
  // Catch-up off: the reconnect test compares two runs word for word, and catch-up segments by load.
  server = await startTestServer({ EARSHOT_CATCH_UP: 'off' });
});
afterAll(async () => {
  await server?.close(0);
});

function mic(
  args: string[],
  env: Record<string, string> = {},
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
  url = server.wsUrl,
) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/earshot.mjs', 'mic', '--url', url, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('earshot mic with sox as a fake recorder', () => {
  it('streams the recorder’s audio and prints finals and Spanish translations, exiting 0 after done', async () => {
    const { code, stdout, stderr } = await mic(['--targets', 'es', '--json', '--recorder', SOX_AS_MIC]);
    expect(code, stderr).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; text?: string; lang?: string });
    expect(events[0]!.type).toBe('ready');
    expect(events.at(-1)!.type).toBe('done');
    const finals = events.filter((e) => e.type === 'final');
    expect(finals.map((f) => f.text).join(' ')).toContain('young man');
    expect(events.filter((e) => e.type === 'translation' && e.lang === 'es')).toHaveLength(finals.length);
  });

  it('takes the recorder from EARSHOT_RECORDER and prints captions for people', async () => {
    const { code, stdout } = await mic([], { EARSHOT_RECORDER: SOX_AS_MIC });
    expect(code).toBe(0);
    expect(stdout).toMatch(/\[\d+\.\d\d.\d+\.\d\d\] .*young man/);
  });

  it('stops recording on Ctrl+C and still prints the last caption', async () => {
    // A recorder that keeps running after the file, like a microphone that is never unplugged.
    const endless = `sh -c '${SOX_AS_MIC}; exec sleep 60'`;
    let interrupted = false;
    const { code, stdout } = await mic(['--json', '--recorder', endless], {}, (_out, child) => {
      if (!interrupted && _out.includes('"type":"ready"')) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    });
    expect(interrupted).toBe(true);
    expect(code).toBe(0);
    expect(stdout).toContain('young man');
    expect(stdout.trim().split('\n').at(-1)).toBe('{"type":"done"}');
  });

  it('fails with a clear message when the recorder does not exist', async () => {
    const { code, stderr } = await mic(['--recorder', 'no-such-recorder -q']);
    expect(code).toBe(1);
    expect(stderr).toContain('recorder "no-such-recorder" not found');
  });

  it('rides out a dropped connection: resumes the session and replays unacknowledged audio, same captions', async () => {
    // ffmpeg -re paces the recording like a live microphone, so the cut lands mid-utterance.
    const paced = `ffmpeg -loglevel error -re -i ${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0880.wav -f s16le -ar 16000 -ac 1 -`;
    const finals = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; text?: string; resume_from?: number })
        .filter((e) => e.type === 'final')
        .map((e) => e.text);
    const uncut = await mic(['--json', '--recorder', paced]);
    expect(uncut.code, uncut.stderr).toBe(0);

    const proxy = await startTcpProxy(Number(new URL(server.server.url).port));
    try {
      let cut = false;
      const run = await mic(
        ['--json', '--recorder', paced],
        {},
        (out) => {
          if (!cut && out.includes('"type":"ready"')) {
            cut = true;
            setTimeout(() => proxy.cut(), 2500);
          }
        },
        `ws://127.0.0.1:${proxy.port}/v1/realtime`,
      );
      expect(run.code, run.stderr).toBe(0);
      const readies = run.stdout.split('\n').filter((l) => l.includes('"type":"ready"'));
      expect(readies).toHaveLength(2); // the first connection, then the resumed one
      expect(readies[1]).toContain('resume_from');
      expect(finals(run.stdout)).toEqual(finals(uncut.stdout));
      expect(finals(run.stdout).join(' ')).toContain('young man');
    } finally {
      await proxy.close();
    }
  });
});
