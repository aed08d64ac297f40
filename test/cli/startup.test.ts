/**
 * Starting earshot as a newcomer does, in real processes: a mistyped flag, a port already taken and a missing model
 * each end in one clear line (no stack trace) and a non-zero exit; logs are readable lines at a terminal (a real
 * pseudo-terminal from util-linux `script`) and JSON lines otherwise; and `npm start` passes SIGTERM on to the
 * server, leaving no process behind.
 */
import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../shared/log-pretty.ts';

interface Exit {
  code: number | null;
  stderr: string;
  stdout: string;
}

function earshot(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/earshot.mjs', ...args],
      { env: { ...process.env, ...env }, timeout: 90_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The lines earshot itself printed (not log lines). */
const ownLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('earshot:') || /^\s+at /.test(l));

describe('startup failures', { timeout: 120_000 }, () => {
  it('names the closest valid flag for a mistyped one', async () => {
    const r = await earshot(['--prot', '9000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('earshot: unknown option --prot; did you mean --port? (see --help)\n');
    expect((await earshot(['runner', '--rol', 'stt'])).stderr).toContain('did you mean --role?');
  });

  it('says which setting to change when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await earshot(['all', '--port', String(port), '--mt', 'none']);
      expect(r.code).toBe(1);
      expect(ownLines(r.stderr)).toEqual([
        `earshot: cannot listen on 127.0.0.1:${port}: the port is already in use (another earshot?); choose a free one with --port / PORT (0 picks one)`,
      ]);
    } finally {
      taken.close();
    }
  });

  it('prints a missing model as its message, without a trace', async () => {
    const r = await earshot([
      'all',
      '--port',
      '0',
      '--stt',
      'whisper-onnx',
      '--model',
      '/nonexistent/whisper-base',
      '--mt',
      'none',
    ]);
    expect(r.code).toBe(1);
    expect(ownLines(r.stderr)).toEqual(['earshot: model directory /nonexistent/whisper-base does not exist']);
  });
});

describe('logs', { timeout: 120_000 }, () => {
  it('are readable lines at a terminal and JSON lines in a pipe', async () => {
    // `script` gives the server a pseudo-terminal; a taken port ends it right after its first log lines.
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const args = ['all', '--port', String(port), '--mt', 'none'];
      const tty = await new Promise<string>((resolve) => {
        execFile(
          'script',
          ['-qec', [process.execPath, 'bin/earshot.mjs', ...args].join(' '), '/dev/null'],
          { env: { ...process.env, NO_COLOR: '1' }, timeout: 90_000 },
          (_e, stdout) => resolve(stdout),
        );
      });
      expect(tty).toMatch(
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[all\] configuration \(other settings at their defaults\) changed=\{"port":\d+,"mt":"none"\}\r?$/m,
      );
      expect(tty).not.toContain('"level"');
      const piped = await earshot(args);
      const first = JSON.parse(piped.stderr.split('\n')[0]!) as {
        level: number;
        msg: string;
        config: Record<string, unknown>;
      };
      expect(first).toMatchObject({ level: 30, msg: 'configuration' });
      expect(first.config.stt).toBe('auto'); // the default engine choice, decided after this line
    } finally {
      taken.close();
    }
  });

  it('formats fields and errors readably', () => {
    const line = JSON.stringify({
      level: 50,
      time: Date.UTC(2026, 0, 1, 12, 0, 0, 5),
      pid: 1,
      name: 'earshot',
      service: 'edge',
      session: 'abc',
      text: 'two words',
      err: { message: 'boom', stack: 'Error: boom\n    at here' },
      msg: 'job failed',
    });
    const out = formatLogLine(line, false);
    expect(out).toMatch(
      /^\d\d:\d\d:00\.005 ERROR \[edge\] job failed session=abc text="two words" err=boom\n {4}at here\n$/,
    );
    expect(formatLogLine('not json', false)).toBe('not json');
  });
});

describe('npm start', { timeout: 120_000 }, () => {
  it('forwards SIGTERM to the server and leaves no process', async () => {
    const npm = spawn('npm', ['start', '--silent', '--', '--port', '0', '--mt', 'none', '--log-format', 'json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const serverPid = await new Promise<number>((resolve, reject) => {
      npm.stderr.on('data', (d) => {
        stderr += d;
        const pid = /"pid":(\d+)/.exec(stderr)?.[1];
        if (pid && stderr.includes('listening on')) resolve(Number(pid));
      });
      npm.once('exit', () => reject(new Error(`npm start exited early: ${stderr}`)));
    });
    expect(serverPid).not.toBe(npm.pid);
    const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)));
    npm.kill('SIGTERM');
    await exited;
    const alive = () => {
      try {
        process.kill(serverPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await expect.poll(alive, { timeout: 15_000 }).toBe(false);
    } finally {
      if (alive()) process.kill(serverPid, 'SIGKILL'); // a failed run leaves nothing behind either
    }
    expect(stderr).toContain('"msg":"stopped"');
  });
});
