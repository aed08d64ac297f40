/** Decoding options of `moonshine-onnx`, validated once at construction so a bad value fails at start. */
import { EarshotError } from '../../../shared/errors.ts';

export interface MoonshineOptions {
  /**
   * The hallucination brake Moonshine's authors use: at most this many tokens per second of audio (the paper's
   * "heuristic limit of 6 output tokens per second"; Hugging Face's examples use 6.5). A decoder that loops stops
   * there instead of filling its whole context.
   */
  tokensPerSecond: number;
  /** Most tokens generated per utterance whatever its length (also capped by the decoder's context). */
  maxNewTokens: number;
  /** Most rows in one encoder or decoder call; larger groups are split. */
  maxBatchRows: number;
  /** Verify the last result of a growing utterance in one decoder pass instead of stepping through it (speculation.ts). */
  speculate: boolean;
}

export const DEFAULT_MOONSHINE_OPTIONS: Readonly<MoonshineOptions> = Object.freeze({
  tokensPerSecond: 6.5,
  maxNewTokens: 192,
  maxBatchRows: 16,
  speculate: true,
});

export function moonshineOptions(overrides: Partial<MoonshineOptions> = {}): MoonshineOptions {
  const o = { ...DEFAULT_MOONSHINE_OPTIONS, ...overrides };
  const fail = (what: string) => {
    throw new EarshotError('internal', `invalid moonshine option: ${what}`);
  };
  if (!(o.tokensPerSecond > 0 && o.tokensPerSecond <= 50))
    fail(`tokensPerSecond must be in (0, 50], got ${o.tokensPerSecond}`);
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1 || o.maxNewTokens > 4096)
    fail(`maxNewTokens must be an integer in 1..4096, got ${o.maxNewTokens}`);
  if (!Number.isInteger(o.maxBatchRows) || o.maxBatchRows < 1 || o.maxBatchRows > 256)
    fail(`maxBatchRows must be an integer in 1..256, got ${o.maxBatchRows}`);
  return o;
}
