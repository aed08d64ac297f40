/**
 * Decoding options, with Whisper's defaults (openai/whisper `transcribe`), validated once at construction so a bad
 * value fails at start rather than on the first utterance.
 */
import { EarshotError } from '../../../shared/errors.ts';

export interface WhisperOptions {
  /** `translate` turns any language into English text; undefined: the export's pinned task, else `transcribe`. */
  task?: 'transcribe' | 'translate';
  /** Language when a request names none (the server's default); undefined: the export's pinned language, else detection. */
  language?: string;
  /** 1 decodes greedily; more runs beam search at temperature 0. */
  beamSize: number;
  /** Candidates sampled at each fallback temperature; the most likely wins. */
  bestOf: number;
  /** Tried in order while a result looks wrong (too repetitive or too unlikely). */
  temperatures: readonly number[];
  /** Above this gzip compression ratio the text is too repetitive: fall back. null disables. */
  compressionRatioThreshold: number | null;
  /** Below this average log-probability the text is unlikely: fall back. null disables. */
  logprobThreshold: number | null;
  /** Above this no-speech probability (with a low log-probability) the utterance is silence: no text. */
  noSpeechThreshold: number | null;
  /** Decode with timestamp tokens and return segments. */
  timestamps: boolean;
  /** Latest allowed first timestamp, seconds; undefined: the export's `max_initial_timestamp_index`, else 1.0 s. */
  maxInitialTimestamp?: number;
  /** Prompt with the session's previous text (`<|startofprev|>`). */
  conditionOnPreviousText: boolean;
  /** Most previous-text tokens in a prompt (Whisper: half its 448-token context, less one). */
  maxPromptTokens: number;
  /** Most tokens generated per utterance. */
  maxNewTokens: number;
  /** Seeds sampling at fallback temperatures: results are reproducible. */
  seed: number;
  /**
   * Fitted encoder windows (requests with `window: 'fit'`): the window is the utterance plus `fitMarginSeconds`, at
   * least `fitFloorSeconds` for finals and `fitPartialFloorSeconds` for partials, rounded up to whole seconds.
   */
  fitFloorSeconds: number;
  fitPartialFloorSeconds: number;
  fitMarginSeconds: number;
  /**
   * Most work in one encoder call, in 30 s windows' worth of attention: a call of R rows of P positions holds
   * R·P² attention scores per head, so it takes at most `windowBudget`·(1500/P)² rows (at least one); larger
   * batches are split. Undefined: 1 on the CPU (batching buys nothing there and memory grows with it), 16 on CUDA.
   */
  windowBudget?: number;
}

export const DEFAULT_WHISPER_OPTIONS: Readonly<WhisperOptions> = Object.freeze({
  task: undefined,
  language: undefined,
  beamSize: 1,
  bestOf: 5,
  temperatures: [0, 0.2, 0.4, 0.6, 0.8, 1.0],
  compressionRatioThreshold: 2.4,
  logprobThreshold: -1.0,
  noSpeechThreshold: 0.6,
  timestamps: true,
  maxInitialTimestamp: undefined,
  conditionOnPreviousText: true,
  maxPromptTokens: 223,
  maxNewTokens: 224,
  seed: 0,
  // A 10 s floor and a 2 s margin: transcribe.cpp PR 149 measured no WER regression with them, and whisper.cpp
  // issue 1117 saw decoders loop below ~0.3 of the window. Partials are provisional: no floor (whisper.cpp issue
  // 1855's length + margin), and the guard's repetition rule catches a loop.
  fitFloorSeconds: 10,
  fitPartialFloorSeconds: 0,
  fitMarginSeconds: 2,
});

/** Defaults overlaid with `overrides`, validated. */
export function whisperOptions(overrides: Partial<WhisperOptions> = {}): WhisperOptions {
  const o: WhisperOptions = {
    ...DEFAULT_WHISPER_OPTIONS,
    ...overrides,
    temperatures: [...(overrides.temperatures ?? DEFAULT_WHISPER_OPTIONS.temperatures)],
  };
  const fail = (what: string) => {
    throw new EarshotError('internal', `invalid whisper option: ${what}`);
  };
  if (o.task !== undefined && o.task !== 'transcribe' && o.task !== 'translate')
    fail(`task must be transcribe or translate, got ${String(o.task)}`);
  if (!Number.isInteger(o.beamSize) || o.beamSize < 1 || o.beamSize > 32)
    fail(`beamSize must be an integer in 1..32, got ${o.beamSize}`);
  if (!Number.isInteger(o.bestOf) || o.bestOf < 1 || o.bestOf > 32)
    fail(`bestOf must be an integer in 1..32, got ${o.bestOf}`);
  if (o.temperatures.length === 0 || o.temperatures.some((t) => !(t >= 0 && t <= 2)))
    fail('temperatures must be a non-empty list of numbers in [0, 2]');
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1 || o.maxNewTokens > 440)
    fail(`maxNewTokens must be in 1..440, got ${o.maxNewTokens}`);
  if (!Number.isInteger(o.maxPromptTokens) || o.maxPromptTokens < 0)
    fail(`maxPromptTokens must be a non-negative integer`);
  if (o.noSpeechThreshold !== null && !(o.noSpeechThreshold >= 0 && o.noSpeechThreshold <= 1))
    fail('noSpeechThreshold must be in [0, 1] or null');
  for (const key of ['fitFloorSeconds', 'fitPartialFloorSeconds', 'fitMarginSeconds'] as const)
    if (!(o[key] >= 0 && o[key] <= 30)) fail(`${key} must be in [0, 30] seconds, got ${o[key]}`);
  if (o.maxInitialTimestamp !== undefined && !(o.maxInitialTimestamp >= 0 && o.maxInitialTimestamp <= 30))
    fail('maxInitialTimestamp must be in [0, 30] seconds');
  return o;
}
