/**
 * A private PulseAudio daemon for tests: its own runtime folder, socket and null sinks ("speakers" that play
 * into nothing, whose monitor sources are what the computer plays), never the machine's sound server. Runs as the
 * current user (root included, with --system=false) and is stopped by close(); `timeout` stops it anyway should
 * the test process die without closing it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PulseDaemon {
  /** Environment that points PulseAudio clients (parec, paplay, pactl) at this daemon only. */
  env: Record<string, string>;
  /** Plays a sound file into a sink (default: the default sink) and resolves when it has been played. */
  play(file: string, sink?: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the daemon with these null sinks; the first is the default output. */
export async function startPulseAudio(sinks: string[]): Promise<PulseDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-pulse-'));
  const socket = join(dir, 'pulse.sock');
  const env = {
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    PULSE_RUNTIME_PATH: join(dir, 'runtime'),
    PULSE_STATE_PATH: join(dir, 'state'),
    PULSE_SERVER: `unix:${socket}`,
  };
  const args = [
    '--kill-after=5',
    '900',
    'pulseaudio',
    '--system=false',
    '-n', // no default.pa: only the modules below
    '--daemonize=no',
    '--exit-idle-time=-1',
    '--use-pid-file=false',
    '--log-target=stderr',
    ...sinks.map((sink) => `--load=module-null-sink sink_name=${sink} sink_properties=device.description=${sink}`),
    `--load=module-native-protocol-unix socket=${socket} auth-anonymous=1`,
  ];
  const daemon: ChildProcess = spawn('timeout', args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  daemon.stderr!.on('data', (d) => (log = (log + String(d)).slice(-4000)));
  const exited = new Promise<void>((resolve) => daemon.once('close', () => resolve()));
  const clientEnv = { ...process.env, ...env };
  const close = async () => {
    daemon.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let attempt = 0; ; attempt++) {
      if (daemon.exitCode !== null) throw new Error(`pulseaudio exited: ${log}`);
      try {
        await run('pactl', ['info'], { env: clientEnv });
        break;
      } catch (err) {
        if (attempt > 100) throw new Error(`pulseaudio did not start: ${(err as Error).message}\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await run('pactl', ['set-default-sink', sinks[0]!], { env: clientEnv });
  } catch (err) {
    await close();
    throw err;
  }
  return {
    env,
    play: async (file, sink) =>
      void (await run('paplay', [...(sink ? [`--device=${sink}`] : []), file], { env: clientEnv })),
    close,
  };
}
