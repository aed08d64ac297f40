/**
 * The nllb-onnx engine's options: what to load, where to run it, and how to decode. Defaults suit live subtitles:
 * greedy decoding (a beam of 4 costs ~4× the compute for a small gain), batches of up to 32 sentences per target.
 */
import { z } from 'zod';
import { EarshotError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { DeviceSpec } from '../../backend/onnx.ts';
import type { DtypeSetting } from '../../models/dtype.ts';
import type { ModelStore } from '../../models/model-store.ts';

export interface NllbEngineOptions {
  /** A model directory, or a name (`Xenova/nllb-200-distilled-600M`) that `store` resolves. */
  model: string;
  /** Resolves model names; needed unless `model` is a directory. */
  store?: ModelStore;
  device?: DeviceSpec;
  /** Weight precision (transformers.js names; default `auto`: the export's choice, else the device's default). */
  dtype?: DtypeSetting;
  /** Threads per ONNX operator; 0 lets onnxruntime choose. */
  threads?: number;
  /** Beam width; 1 is greedy search. */
  beams?: number;
  /** Beam hypotheses are ranked by log-probability / length^lengthPenalty. */
  lengthPenalty?: number;
  /** Most sentences encoded and decoded together; larger groups of one target are split. */
  maxBatch?: number;
  /** Generated tokens are capped at `maxLengthFactor` × source tokens + `maxLengthOffset` (and the model's maximum). */
  maxLengthFactor?: number;
  maxLengthOffset?: number;
  /** Recent (text, source, target) translations kept; 0 disables the cache. */
  cacheSize?: number;
  logger?: Logger;
}

const Schema = z.object({
  beams: z.number().int().min(1).max(16),
  lengthPenalty: z.number().min(0).max(10),
  maxBatch: z.number().int().min(1).max(1024),
  maxLengthFactor: z.number().min(0).max(16),
  maxLengthOffset: z.number().int().min(1).max(1024),
  cacheSize: z.number().int().min(0).max(1_000_000),
  threads: z.number().int().min(0).max(1024),
});

export type DecodingOptions = z.infer<typeof Schema>;

export const DEFAULTS: DecodingOptions = {
  beams: 1,
  lengthPenalty: 1,
  maxBatch: 32,
  // Translations rarely run past twice the source's tokens; the offset leaves room for very short inputs.
  maxLengthFactor: 2,
  maxLengthOffset: 10,
  cacheSize: 1024,
  threads: 0,
};

/** Fills in defaults and rejects out-of-range values with a message naming the option. */
export function resolveOptions(options: NllbEngineOptions): DecodingOptions {
  const given = Object.fromEntries(
    Object.entries(options).filter(([key, value]) => key in DEFAULTS && value !== undefined),
  );
  const parsed = Schema.safeParse({ ...DEFAULTS, ...given });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EarshotError('engine_unavailable', `nllb-onnx option ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * How many tokens a sentence of `sourceLength` encoder tokens may generate (forced language token and </s>
 * included): the relative cap, never past the model's own `maxLength` (which counts the decoder start token).
 */
export function maxNewTokens(sourceLength: number, options: DecodingOptions, modelMaxLength: number): number {
  const relative = Math.ceil(options.maxLengthFactor * sourceLength) + options.maxLengthOffset;
  return Math.max(2, Math.min(relative, modelMaxLength - 1));
}
