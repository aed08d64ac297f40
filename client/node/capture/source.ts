/**
 * Which audio a capture records: `mic` (the microphone), `system` (what the computer plays: a meeting, a video)
 * or `both`, mixed. Each source is one recorder command writing 16 kHz mono PCM16 to stdout; the microphone's is
 * client/node/recorder.ts's, system audio comes from the platform's adapter in ./system/. `both` runs the two
 * recorders and mixes them (./recording.ts).
 */
import { z } from 'zod';
import { recorderCommand, RecorderError, splitCommand, type RecorderCommand } from '../recorder.ts';
import { linuxSystemRecorder } from './system/linux.ts';
import { macosSystemRecorder } from './system/macos.ts';
import { windowsSystemRecorder } from './system/windows.ts';

export const AudioSource = z.enum(['mic', 'system', 'both']);
export type AudioSource = z.infer<typeof AudioSource>;

export interface CaptureSourceOptions {
  source: AudioSource;
  /** Microphone input device; empty is the system default. */
  device?: string;
  /** A command replacing the detected microphone recorder. */
  recorder?: string;
  /** The loopback / monitor device system audio is read from; empty is the platform's default. */
  systemDevice?: string;
  /** A command replacing the detected system-audio recorder. */
  systemRecorder?: string;
  platform?: NodeJS.Platform;
  has: (program: string) => boolean;
}

/** The recorder commands for a source: one, or two to be mixed (microphone first). Throws RecorderError. */
export function captureCommands(options: CaptureSourceOptions): RecorderCommand[] {
  const { source, platform = process.platform, has } = options;
  const mic = () => recorderCommand({ override: options.recorder, device: options.device, platform, has });
  const system = () => systemRecorderCommand(options.systemRecorder, options.systemDevice ?? '', platform, has);
  if (source === 'mic') return [mic()];
  if (source === 'system') return [system()];
  return [mic(), system()];
}

function systemRecorderCommand(
  override: string | undefined,
  device: string,
  platform: NodeJS.Platform,
  has: (program: string) => boolean,
): RecorderCommand {
  if (override?.trim()) {
    const [command, ...args] = splitCommand(override);
    return { command: command!, args };
  }
  switch (platform) {
    case 'win32':
      return windowsSystemRecorder(device, has);
    case 'darwin':
      return macosSystemRecorder(device, has);
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return linuxSystemRecorder(device, has);
    default:
      throw new RecorderError(
        `no known way to capture system audio on ${platform}; set EARSHOT_SYSTEM_RECORDER to a command that writes 16 kHz mono PCM16 to stdout`,
      );
  }
}
