/**
 * Segments from timestamp tokens, as openai/whisper reads them: `<|t0|> text <|t1|>` is a segment; consecutive
 * timestamps close one and open the next; a text run with no closing timestamp lasts to the end of the audio.
 */
import type { WhisperTokenizer } from './tokenizer.ts';

export interface Segment {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
}

/** Splits generated tokens (no prompt, no end-of-text) into segments; `duration` bounds every time. */
export function toSegments(
  tokens: readonly number[],
  tokenizer: WhisperTokenizer,
  duration: number,
  offset = 0,
): Segment[] {
  const begin = tokenizer.specials.timestampBegin;
  // Timestamps are multiples of 0.02 s: rounding removes float noise; the model may place one past the audio's end.
  const clamp = (t: number) => Math.min(Math.max(Math.round(t * 100) / 100, 0), duration) + offset;
  const segments: Segment[] = [];
  let start: number | undefined;
  let text: number[] = [];
  const close = (end: number) => {
    const decoded = tokenizer.decode(text);
    if (decoded.trim()) segments.push({ start: clamp(start ?? 0), end: clamp(end), text: decoded });
    text = [];
  };
  for (const token of tokens) {
    if (token < begin) {
      text.push(token);
      continue;
    }
    const time = tokenizer.timeOf(token);
    if (start === undefined || text.length === 0) {
      start = time; // an opening timestamp (or the second of a pair)
      continue;
    }
    close(time);
    start = undefined;
  }
  if (text.length > 0) close(duration);
  return segments;
}
