/**
 * The speech the load benchmark streams: Debian's pocketsphinx-testdata librivox recordings and a few espeak-ng
 * sentences (synthesized once into `.cache/bench/`), each followed by a pause long enough for the VAD to close the
 * utterance, joined into one 16 kHz loop. Each session starts at its own offset in the loop, so utterances of
 * different sessions end at different moments, as they would with real speakers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeWav } from '../../shared/audio/wav.ts';
import { floatToPcm16 } from '../../shared/audio/pcm.ts';
import { resample } from '../../shared/audio/resample.ts';
import { librivoxRecordings } from '../../test/support/librivox.ts';

export const RATE = 16000;
const CACHE = resolve(import.meta.dirname, '../../.cache/bench');
const PAUSE_SECONDS = 1.2;

const SENTENCES = [
  'The quarterly report is due on Friday, so please send me your numbers before noon.',
  'Turn left at the second traffic light and the station will be on your right.',
  'We measured the latency of every request and found that most of it was spent waiting in the queue.',
  'Could you repeat the last question, the connection dropped for a moment.',
  'Tomorrow the weather will be cloudy in the morning with some sunshine in the afternoon.',
];

export interface Corpus {
  pcm: Int16Array;
  /** What went in, for the record. */
  pieces: { source: string; seconds: number }[];
}

function espeak(text: string, index: number): Int16Array | null {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `espeak-${index}.wav`);
  try {
    if (!existsSync(file))
      execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', file, text], { stdio: 'ignore' });
    const wav = decodeWav(readFileSync(file));
    return floatToPcm16(wav.sampleRate === RATE ? wav.samples[0]! : resample(wav.samples[0]!, wav.sampleRate, RATE));
  } catch {
    return null; // espeak-ng missing: the librivox recordings alone
  }
}

let cached: Corpus | undefined;

export function corpus(): Corpus {
  if (cached) return cached;
  const pieces: { source: string; pcm: Int16Array }[] = librivoxRecordings().map((r) => ({ source: r.id, pcm: r.pcm }));
  SENTENCES.forEach((text, i) => {
    const pcm = espeak(text, i);
    // Interleave: librivox, espeak, librivox, …
    if (pcm) pieces.splice(Math.min(pieces.length, 2 * i + 1), 0, { source: `espeak-ng:${i}`, pcm });
  });
  const pause = Math.round(PAUSE_SECONDS * RATE);
  const total = pieces.reduce((n, p) => n + p.pcm.length + pause, 0);
  const pcm = new Int16Array(total);
  let at = 0;
  for (const p of pieces) {
    pcm.set(p.pcm, at);
    at += p.pcm.length + pause;
  }
  cached = { pcm, pieces: pieces.map((p) => ({ source: p.source, seconds: +(p.pcm.length / RATE).toFixed(2) })) };
  return cached;
}

/** `seconds` of the loop starting at `offsetSeconds`. */
export function loopSlice(offsetSeconds: number, seconds: number): Int16Array {
  const { pcm } = corpus();
  const out = new Int16Array(Math.round(seconds * RATE));
  const from = Math.round(offsetSeconds * RATE) % pcm.length;
  for (let i = 0; i < out.length; i++) out[i] = pcm[(from + i) % pcm.length]!;
  return out;
}
