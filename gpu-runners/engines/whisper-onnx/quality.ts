/**
 * Whisper's judgement of a decode: when to retry at a higher temperature (text too repetitive or too unlikely) and
 * when an utterance is silence (the no-speech token is likely and the text is not), which is the guard against
 * hallucinated text on silence and noise.
 */
import { deflateSync } from 'node:zlib';
import type { WhisperOptions } from './options.ts';

/** Bytes of the text over bytes of its zlib compression: repetition loops compress well. */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return bytes.length / deflateSync(bytes).length;
}

export interface DecodeQuality {
  avgLogprob: number;
  noSpeechProb: number;
  compressionRatio: number;
}

type Thresholds = Pick<WhisperOptions, 'compressionRatioThreshold' | 'logprobThreshold' | 'noSpeechThreshold'>;

/** Whether to decode again at the next temperature. Silence is not retried: more heat would only invent words. */
export function needsFallback(q: DecodeQuality, o: Thresholds): boolean {
  const repetitive = o.compressionRatioThreshold !== null && q.compressionRatio > o.compressionRatioThreshold;
  const unlikely = o.logprobThreshold !== null && q.avgLogprob < o.logprobThreshold;
  if (isSilence(q, o)) return false;
  return repetitive || unlikely;
}

/** No speech: the no-speech token is above its threshold, unless the text itself is confidently likely. */
export function isSilence(
  q: Pick<DecodeQuality, 'avgLogprob' | 'noSpeechProb'>,
  o: Pick<Thresholds, 'noSpeechThreshold' | 'logprobThreshold'>,
): boolean {
  if (o.noSpeechThreshold === null || q.noSpeechProb <= o.noSpeechThreshold) return false;
  return o.logprobThreshold === null || q.avgLogprob <= o.logprobThreshold;
}
