/**
 * What the computer plays, on macOS: Core Audio offers no loopback device, so the output is routed through a
 * virtual one, BlackHole by default ("BlackHole 2ch"; a Multi-Output Device keeps the speakers playing too), and
 * recorded like a microphone. Tools built on ScreenCaptureKit or Core Audio taps that write PCM to stdout can
 * replace this with EARSHOT_SYSTEM_RECORDER.
 */
import { RECORDER_RATE, RecorderError, type RecorderCommand } from '../../recorder.ts';

export const MACOS_DEFAULT_LOOPBACK = 'BlackHole 2ch';

export function macosSystemRecorder(device: string, has: (program: string) => boolean): RecorderCommand {
  const name = device || MACOS_DEFAULT_LOOPBACK;
  if (has('ffmpeg')) {
    // avfoundation takes ":<audio device>" (name or index) for audio without video.
    return {
      command: 'ffmpeg',
      args: [
        '-loglevel',
        'error',
        '-nostdin',
        '-f',
        'avfoundation',
        '-i',
        `:${name}`,
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
  if (has('sox')) {
    return {
      command: 'sox',
      args: [
        '-q',
        '-t',
        'coreaudio',
        name,
        '-t',
        'raw',
        '-r',
        String(RECORDER_RATE),
        '-e',
        'signed',
        '-b',
        '16',
        '-c',
        '1',
        '-',
      ],
    };
  }
  throw new RecorderError(
    'capturing system audio on macOS needs ffmpeg (or sox) and a loopback device such as BlackHole; or set EARSHOT_SYSTEM_RECORDER',
  );
}
