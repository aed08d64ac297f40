/** Test audio assembled with sox: recordings joined by stretches of silence, as one WAV a fake microphone plays. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Writes `<dir>/mic.wav`: `lead` seconds of silence, the recordings with `gap` seconds between them, then `tail`
 * seconds (which close the last utterance). Returns its path and length in seconds.
 */
export function joinWithSilence(
  dir: string,
  recordings: string[],
  { lead = 1, gap = 1.5, tail = 2 } = {},
): { wav: string; seconds: number } {
  const silence = (seconds: number) => {
    const file = join(dir, `silence-${seconds}.wav`);
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', file, 'trim', '0', String(seconds)]);
    return file;
  };
  const wav = join(dir, 'mic.wav');
  const parts = recordings.flatMap((r, i) => (i === 0 ? [r] : [silence(gap), r]));
  execFileSync('sox', [silence(lead), ...parts, silence(tail), wav]);
  return { wav, seconds: Number(execFileSync('soxi', ['-D', wav]).toString().trim()) };
}
