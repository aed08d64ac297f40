/**
 * Music-like noise from sox (`-R`: repeatable): plucked triads (C, F, G, Am, half a second each) over pink noise.
 * WebRTC's VAD calls all of it speech, and pocketsphinx hears words in it ("in in"): the case the guard is for.
 */
import { spawnSync } from 'node:child_process';

const CHORDS = [
  ['C3', 'E3', 'G3'],
  ['F3', 'A3', 'C4'],
  ['G3', 'B3', 'D4'],
  ['A2', 'C3', 'E3'],
] as const;

/** 16 kHz mono PCM16. pluck needs 44.1–48 kHz, so the chords are made at 48 kHz and resampled. */
export function musicLikeNoise(seconds: number): Int16Array {
  const chords = CHORDS.map(([a, b, c]) => {
    const args = ['-R', '-r', '48000', '-c', '4', '-n', '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-'];
    const effects = [
      'synth',
      '0.5',
      'pluck',
      a,
      'pluck',
      b,
      'pluck',
      c,
      'pinknoise',
      'remix',
      '1v0.3,2v0.3,3v0.3,4v0.08',
      'rate',
      '16000',
      'norm',
      '-3',
    ];
    const out = spawnSync('sox', [...args, ...effects], { maxBuffer: 1 << 24 });
    if (out.status !== 0) throw new Error(`sox failed: ${out.stderr?.toString() ?? out.error?.message}`);
    return new Int16Array(out.stdout.buffer, out.stdout.byteOffset, out.stdout.byteLength >> 1);
  });
  const pcm = new Int16Array(Math.round(seconds * 16000));
  for (let at = 0, i = 0; at < pcm.length; at += chords[i % 4]!.length, i++)
    pcm.set(chords[i % 4]!.subarray(0, pcm.length - at), at);
  return pcm;
}
