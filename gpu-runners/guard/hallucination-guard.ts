/**
 * Judges each STT output before anyone sees it: text that is most likely invented (silence or noise the engine
 * turned into words, a decoding loop, a subtitle credit) is withheld, and the reason is returned for telemetry.
 * Sans-IO: measuring voiced audio is injected (see speech-meter.ts).
 */
import { deflateSync } from 'node:zlib';
import type { Blocklist } from './blocklist.ts';
import { words } from './words.ts';

export type SuppressionReason = 'no_speech' | 'low_speech' | 'sparse' | 'blocklist' | 'repetition' | 'compression';

export interface GuardOptions {
  /** Above this no-speech probability, with an unlikely text (avg log-prob ≤ `logprobThreshold`), it is silence. 1 disables. */
  noSpeechThreshold: number;
  logprobThreshold: number;
  /** Above this gzip compression ratio the text is a loop (openai/whisper's 2.4). 0 disables. */
  maxCompressionRatio: number;
  /** Most times a phrase may occur in a row (a loop repeats it more, over most of the text). 0 disables. */
  maxRepeats: number;
  /** Less voiced audio than this (ms, by the VAD) is no speech to transcribe. 0 disables. */
  minSpeechMs: number;
  /** Fewer words per voiced second than this (over 1 s of voiced audio) is an engine guessing at music or noise. 0 disables. */
  minWordsPerSecond: number;
  blocklist: Blocklist;
  /** Voiced milliseconds of 16 kHz PCM; without it the two VAD rules are off. */
  measureSpeech?: (pcm: Int16Array) => number;
}

export interface GuardInput {
  text: string;
  language: string;
  /** The job's audio (16 kHz PCM16), for the VAD rules. */
  pcm: Int16Array;
  noSpeechProb?: number;
  avgLogprob?: number;
  /** Text the engine dropped itself as no speech (Whisper's no-speech rule): counted here, never shown. */
  withheld?: string;
}

export type Verdict =
  { text: string; reason?: undefined } | { text: ''; reason: SuppressionReason; suppressed: string };

/** Voiced audio under this is too little to judge a word rate by. */
const SPARSE_MIN_VOICED_MS = 1000;
/** Longest repeated phrase looked for, in words. */
const MAX_PHRASE_WORDS = 8;

export class HallucinationGuard {
  readonly options: Readonly<GuardOptions>;

  constructor(options: GuardOptions) {
    this.options = options;
  }

  judge(input: GuardInput): Verdict {
    const text = input.text.trim();
    if (!text)
      return input.withheld?.trim()
        ? { text: '', reason: 'no_speech', suppressed: input.withheld.trim() }
        : { text: '' };
    const reason = this.#reason(text, input);
    return reason ? { text: '', reason, suppressed: text } : { text };
  }

  #reason(text: string, input: GuardInput): SuppressionReason | undefined {
    const o = this.options;
    if (
      input.noSpeechProb !== undefined &&
      input.noSpeechProb > o.noSpeechThreshold &&
      !((input.avgLogprob ?? -Infinity) > o.logprobThreshold)
    )
      return 'no_speech';
    const tokens = words(text);
    if ((o.minSpeechMs > 0 || o.minWordsPerSecond > 0) && o.measureSpeech) {
      const speechMs = o.measureSpeech(input.pcm);
      if (speechMs < o.minSpeechMs) return 'low_speech';
      if (speechMs >= SPARSE_MIN_VOICED_MS && tokens.length < (speechMs / 1000) * o.minWordsPerSecond) return 'sparse';
    }
    if (o.blocklist.dominates(tokens, input.language)) return 'blocklist';
    if (o.maxRepeats > 0 && isLoop(tokens, o.maxRepeats)) return 'repetition';
    if (o.maxCompressionRatio > 0 && compressionRatio(text) > o.maxCompressionRatio) return 'compression';
    return undefined;
  }
}

/** Bytes of the text over bytes of its zlib compression, as openai/whisper measures repetition. */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length === 0 ? 0 : bytes.length / deflateSync(bytes).length;
}

/** A phrase of up to MAX_PHRASE_WORDS words occurs more than `maxRepeats` times in a row, over half the words or more. */
export function isLoop(tokens: readonly string[], maxRepeats: number): boolean {
  for (let size = 1; size <= MAX_PHRASE_WORDS && size * (maxRepeats + 1) <= tokens.length; size++) {
    for (let start = 0; start + size * (maxRepeats + 1) <= tokens.length; start++) {
      let runs = 1;
      while (start + (runs + 1) * size <= tokens.length && samePhrase(tokens, start, start + runs * size, size))
        runs += 1;
      if (runs > maxRepeats && runs * size * 2 >= tokens.length) return true;
    }
  }
  return false;
}

function samePhrase(tokens: readonly string[], a: number, b: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (tokens[a + i] !== tokens[b + i]) return false;
  return true;
}
