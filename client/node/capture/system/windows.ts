/**
 * What the computer plays, on Windows: DirectShow has no loopback of its own, so capture goes through a
 * recording device that carries the output: "Stereo Mix" (enable it under Sound > Recording; most Realtek
 * drivers have it) or a virtual cable such as VB-Audio's "CABLE Output (VB-Audio Virtual Cable)" set as the
 * playback device. The name must match the one `ffmpeg -list_devices true -f dshow -i dummy` prints.
 */
import { RECORDER_RATE, RecorderError, type RecorderCommand } from '../../recorder.ts';

export const WINDOWS_DEFAULT_LOOPBACK = 'Stereo Mix';

export function windowsSystemRecorder(device: string, has: (program: string) => boolean): RecorderCommand {
  const name = device || WINDOWS_DEFAULT_LOOPBACK;
  if (has('ffmpeg')) {
    return {
      command: 'ffmpeg',
      args: [
        '-loglevel',
        'error',
        '-nostdin',
        '-f',
        'dshow',
        '-i',
        `audio=${name}`,
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
        'waveaudio',
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
    'capturing system audio on Windows needs ffmpeg (or sox) and a loopback recording device such as "Stereo Mix" or a virtual cable; or set EARSHOT_SYSTEM_RECORDER',
  );
}
