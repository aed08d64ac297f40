/**
 * What the computer plays, on Linux: the monitor source of a PulseAudio sink (every sink has one), read with
 * parec from pulseaudio-utils, else ffmpeg's pulse input. PipeWire desktops serve the same protocol through
 * pipewire-pulse, so both work there too. `@DEFAULT_MONITOR@` follows the default output as the user switches it.
 */
import { RECORDER_RATE, RecorderError, type RecorderCommand } from '../../recorder.ts';

export const LINUX_DEFAULT_MONITOR = '@DEFAULT_MONITOR@';

export function linuxSystemRecorder(device: string, has: (program: string) => boolean): RecorderCommand {
  const source = device || LINUX_DEFAULT_MONITOR;
  if (has('parec')) {
    // A short latency: parec otherwise buffers up to 2 s, which would delay captions and the mix with the mic.
    return { command: 'parec', args: [`--device=${source}`, '--format=s16le', `--rate=${RECORDER_RATE}`, '--channels=1', '--latency-msec=50', '--client-name=earshot'] };
  }
  if (has('ffmpeg')) {
    return { command: 'ffmpeg', args: ['-loglevel', 'error', '-nostdin', '-f', 'pulse', '-i', source, '-ac', '1', '-ar', String(RECORDER_RATE), '-f', 's16le', '-'] };
  }
  throw new RecorderError('capturing system audio needs parec (Debian/Ubuntu: apt install pulseaudio-utils; works with PipeWire too) or ffmpeg; or set EARSHOT_SYSTEM_RECORDER');
}
