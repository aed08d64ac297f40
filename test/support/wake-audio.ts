/** Wake-word test audio: a phrase spoken by espeak-ng, placed inside real speech (Debian's librivox recordings). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav } from '../../shared/audio/wav.ts';
import { floatToPcm16 } from '../../shared/audio/pcm.ts';

const RATE = 16000;

/** espeak-ng voices and speeds (words per minute) the wake-word tests and benchmark speak the phrase with. */
export const WAKE_VOICES: readonly { voice: string; speed: number }[] = [
  { voice: 'en-us+f2', speed: 140 },
  { voice: 'en-us+f3', speed: 170 },
  { voice: 'en-us+klatt', speed: 140 },
  { voice: 'en-us+klatt2', speed: 180 },
];

/** The phrase as 16 kHz PCM16, spoken by an espeak-ng voice at `speed` words per minute. */
export function spokenPhrase(text: string, voice: string, speed: number): Int16Array {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-wake-'));
  try {
    execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-w', join(dir, 'raw.wav'), text]);
    execFileSync('sox', [join(dir, 'raw.wav'), '-r', String(RATE), '-c', '1', '-b', '16', join(dir, 'out.wav')]);
    return floatToPcm16(decodeWav(readFileSync(join(dir, 'out.wav'))).samples[0]!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `before`, `gap` seconds of silence, `phrase`, `gap` seconds, `after`; with where the phrase lies (seconds). */
export function placeBetween(
  before: Int16Array,
  phrase: Int16Array,
  after: Int16Array,
  gap = 0.4,
): { pcm: Int16Array; start: number; end: number } {
  const silence = Math.round(gap * RATE);
  const pcm = new Int16Array(before.length + phrase.length + after.length + 2 * silence);
  pcm.set(before, 0);
  pcm.set(phrase, before.length + silence);
  pcm.set(after, before.length + 2 * silence + phrase.length);
  const start = (before.length + silence) / RATE;
  return { pcm, start, end: start + phrase.length / RATE };
}

export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
