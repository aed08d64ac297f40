/**
 * What the computer plays, on Linux: the monitor source of a PulseAudio sink (every sink has one), read with
 * parec from pulseaudio-utils, else ffmpeg's pulse input. PipeWire desktops serve the same protocol through
 * pipewire-pulse, so both work there too. `@DEFAULT_MONITOR@` follows the default output as the user switches it.
 */
import { execFile } from 'node:child_process';
import { RECORDER_RATE, RecorderError, type RecorderCommand } from '../../recorder.ts';

/** How long `pactl info` may take: a live server answers at once. */
const PACTL_TIMEOUT_MS = 3000;

export const LINUX_DEFAULT_MONITOR = '@DEFAULT_MONITOR@';

export function linuxSystemRecorder(device: string, has: (program: string) => boolean): RecorderCommand {
  const source = device || LINUX_DEFAULT_MONITOR;
  if (has('parec')) {
    // A short latency: parec otherwise buffers up to 2 s, which would delay captions and the mix with the mic.
    return {
      command: 'parec',
      args: [
        `--device=${source}`,
        '--format=s16le',
        `--rate=${RECORDER_RATE}`,
        '--channels=1',
        '--latency-msec=50',
        '--client-name=earshot',
      ],
    };
  }
  if (has('ffmpeg')) {
    return {
      command: 'ffmpeg',
      args: [
        '-loglevel',
        'error',
        '-nostdin',
        '-f',
        'pulse',
        '-i',
        source,
        '-ac',
        '1',
        '-ar',
        String(RECORDER_RATE),
        '-f',
        's16le',
        '-',
      ],
    };
  }
  throw new RecorderError(
    'capturing system audio needs parec (Debian/Ubuntu: apt install pulseaudio-utils; works with PipeWire too) or ffmpeg; or set EARSHOT_SYSTEM_RECORDER',
  );
}

/**
 * Why system audio cannot be recorded here, or undefined when a PulseAudio / PipeWire-pulse server answers (or when
 * pactl is not installed to ask). Checked before a session opens: without a server parec fails only after it.
 */
export function linuxSoundServerProblem(
  env: Record<string, string | undefined>,
  has: (program: string) => boolean,
): Promise<string | undefined> {
  if (!has('pactl')) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(
      'pactl',
      ['info'],
      { env: env as NodeJS.ProcessEnv, timeout: PACTL_TIMEOUT_MS },
      (err, _stdout, stderr) => {
        if (!err) return resolve(undefined);
        const why = String(stderr).trim().split('\n')[0] || err.message;
        resolve(
          `no sound server to record system audio from (pactl info: ${why}). Start one: \`systemctl --user start pipewire-pulse\` ` +
            '(PipeWire desktops) or `pulseaudio --start`; without either, install one (Debian/Ubuntu: apt install pipewire-pulse, or pulseaudio). ' +
            'Or set --system-recorder / EARSHOT_SYSTEM_RECORDER',
        );
      },
    );
  });
}
