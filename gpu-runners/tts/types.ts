/** TTS engines: what a TTS runner drives to speak translations. A batch in, one waveform per request out, in order. */

export interface TtsRequest {
  /** Correlates the result with its job; opaque to the engine. */
  id: string;
  text: string;
  /** ISO 639-1 (or BCP 47) language of the text. */
  language: string;
}

export interface TtsResult {
  id: string;
  /** Mono PCM16 at `sampleRate`. */
  pcm: Int16Array;
  sampleRate: number;
}

export interface TtsEngine {
  readonly name: string;
  /** Whether the engine has a voice for `language`. */
  speaks(language: string): boolean;
  /** The languages it speaks (ISO 639-1), for heartbeats and capabilities. */
  readonly languages: readonly string[];
  load(): Promise<void>;
  synthesize(batch: readonly TtsRequest[], signal?: AbortSignal): Promise<TtsResult[]>;
  close(): Promise<void>;
}

/** Longest text spoken (characters): longer translations are cut at a word, so one job stays seconds of work. */
export const MAX_TTS_CHARS = 600;

/** `text` cut to at most `max` characters at a word boundary; shorter text is left as it is (voices normalise it). */
export function boundedText(text: string, max = MAX_TTS_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space > max / 2 ? cut.slice(0, space) : cut;
}
