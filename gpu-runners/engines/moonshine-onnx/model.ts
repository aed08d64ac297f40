/**
 * A Moonshine model in the onnx-community / transformers.js ONNX layout: `onnx/encoder_model.onnx` (raw 16 kHz
 * samples → hidden states, about 41.6 positions per second of audio: compute grows with the audio, there is no
 * fixed window) and `onnx/decoder_model_merged.onnx`, whose `use_cache_branch` input picks between the first pass
 * (projects the encoder states into cross-attention keys/values) and cached steps. This module runs the two graphs
 * and carries the KV cache; the decoding policy lives in transcribe.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EarshotError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import {
  boolTensor,
  dimsOf,
  floatData,
  floatTensor,
  gatherRows,
  int64Tensor,
  keepPositions,
  OnnxSession,
  type DeviceSpec,
  type Feeds,
  type Tensor,
} from '../../backend/onnx.ts';

/** The non-graph files of a Moonshine export; the graphs are `encoder_model` and `decoder_model_merged` at a dtype. */
export const MOONSHINE_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;
export const MOONSHINE_GRAPHS = ['encoder_model', 'decoder_model_merged'] as const;

/** Fewest samples the convolution stem turns into one encoder position (kernels 127/7/3, strides 64/3/2). */
export const MIN_SAMPLES = 127 + 64 * 12;

/** Encoder positions for `samples` samples (Hugging Face's `_get_feat_extract_output_lengths`). */
export function encoderPositions(samples: number): number {
  const c1 = Math.floor((samples - 127) / 64) + 1;
  const c2 = Math.floor((c1 - 7) / 3) + 1;
  return Math.floor((c2 - 3) / 2) + 1;
}

export interface MoonshineDims {
  hidden: number;
  decoderLayers: number;
  heads: number;
  headDim: number;
  vocabSize: number;
  /** The decoder's context: the start token plus generated tokens never exceed it. */
  maxPositions: number;
  bos: number;
  eos: number;
  /** preprocessor_config `do_normalize`: zero mean, unit variance per input (Wav2Vec2's feature extractor). */
  normalize: boolean;
}

/** Per layer, keys and values; self-attention grows a step at a time, cross-attention is fixed after the first. */
export interface KvCache {
  self: Tensor[];
  cross: Tensor[];
  /** Samples of the rows' audio (the shortest): the width of a sample-level encoder mask, for exports that take one. */
  samples: number;
}

export interface Logits {
  data: Float32Array;
  rows: number;
  positions: number;
  vocab: number;
}

export interface LoadOptions {
  device: DeviceSpec;
  logger: Logger;
  threads?: number;
  interOpThreads?: number;
  files: { encoder: string; decoder: string };
}

export class MoonshineModel {
  readonly dims: MoonshineDims;
  readonly #encoder: OnnxSession;
  readonly #decoder: OnnxSession;
  readonly #selfNames: { present: string[]; past: string[] };
  readonly #crossNames: { present: string[]; past: string[] };

  private constructor(dims: MoonshineDims, encoder: OnnxSession, decoder: OnnxSession) {
    this.dims = dims;
    this.#encoder = encoder;
    this.#decoder = decoder;
    const names = (prefix: string, kind: string) =>
      Array.from({ length: dims.decoderLayers }, (_, i) => [
        `${prefix}.${i}.${kind}.key`,
        `${prefix}.${i}.${kind}.value`,
      ]).flat();
    this.#selfNames = { present: names('present', 'decoder'), past: names('past_key_values', 'decoder') };
    this.#crossNames = { present: names('present', 'encoder'), past: names('past_key_values', 'encoder') };
  }

  static async load(dir: string, options: LoadOptions): Promise<MoonshineModel> {
    const json = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
    const config = json('config.json');
    const gen = json('generation_config.json');
    const pre = json('preprocessor_config.json');
    if (config.model_type !== 'moonshine')
      throw new EarshotError(
        'engine_unavailable',
        `${dir}: config.json says model_type "${String(config.model_type)}", not moonshine`,
      );
    const num = (v: unknown, name: string): number => {
      if (typeof v !== 'number') throw new EarshotError('engine_unavailable', `${dir}: config has no numeric ${name}`);
      return v;
    };
    const hidden = num(config.hidden_size, 'hidden_size');
    // Key/value heads size the cache (grouped-query exports have fewer than attention heads).
    const heads = num(
      config.decoder_num_key_value_heads ?? config.decoder_num_attention_heads,
      'decoder_num_key_value_heads',
    );
    const attentionHeads = num(config.decoder_num_attention_heads, 'decoder_num_attention_heads');
    const sessionOptions = {
      device: options.device,
      logger: options.logger,
      threads: options.threads,
      interOpThreads: options.interOpThreads,
      failureCode: 'stt_failed' as const,
    };
    const [encoder, decoder] = await Promise.all([
      OnnxSession.create(join(dir, options.files.encoder), sessionOptions),
      OnnxSession.create(join(dir, options.files.decoder), sessionOptions),
    ]);
    if (!decoder.inputNames.includes('use_cache_branch'))
      throw new EarshotError(
        'engine_unavailable',
        `${dir}: ${options.files.decoder} has no use_cache_branch input (not a merged decoder)`,
      );
    if (!encoder.inputNames.includes('input_values'))
      throw new EarshotError(
        'engine_unavailable',
        `${dir}: ${options.files.encoder} takes no input_values (not a Moonshine encoder)`,
      );
    const dims: MoonshineDims = {
      hidden,
      decoderLayers: num(config.decoder_num_hidden_layers, 'decoder_num_hidden_layers'),
      heads,
      headDim: hidden / attentionHeads,
      vocabSize: num(config.vocab_size, 'vocab_size'),
      maxPositions: num(config.max_position_embeddings ?? 194, 'max_position_embeddings'),
      bos: num(
        gen.decoder_start_token_id ?? config.decoder_start_token_id ?? config.bos_token_id,
        'decoder_start_token_id',
      ),
      eos: num(gen.eos_token_id ?? config.eos_token_id, 'eos_token_id'),
      normalize: pre.do_normalize === true,
    };
    return new MoonshineModel(dims, encoder, decoder);
  }

  /** One encoder call for rows of equal length (samples in [-1, 1]) → hidden states [rows, positions, hidden]. */
  async encode(rows: readonly Float32Array[]): Promise<Tensor> {
    const length = rows[0]?.length ?? 0;
    if (rows.some((r) => r.length !== length))
      throw new EarshotError('internal', 'encoder rows must have equal lengths');
    const input = new Float32Array(rows.length * length);
    rows.forEach((r, i) => input.set(r, i * length));
    const feeds: Feeds = { input_values: floatTensor(input, [rows.length, length]) };
    // Newer Optimum exports declare a mask; rows here are never padded (equal lengths), so it is all ones.
    if (this.#encoder.inputNames.includes('attention_mask'))
      feeds.attention_mask = int64Tensor(new Array<number>(rows.length * length).fill(1), [rows.length, length]);
    const out = await this.#encoder.run(feeds);
    const hidden = out.last_hidden_state;
    if (!hidden) throw new EarshotError('stt_failed', 'encoder returned no last_hidden_state');
    return hidden;
  }

  /**
   * The first decoder pass: the start token per row; computes the cross-attention cache from the encoder states of
   * rows of `samples` samples (rows with equal positions may differ by a few samples; the shortest is given).
   * `guess`: tokens to verify after the start token (speculation.ts).
   */
  async prefill(
    rows: number,
    encoderStates: Tensor,
    samples: number,
    guess: readonly number[] = [],
  ): Promise<{ logits: Logits; cache: KvCache }> {
    const empty = floatTensor(new Float32Array(0), [rows, this.dims.heads, 0, this.dims.headDim]);
    // With a guess (one row), the start token and the guessed tokens in one causal pass: logits at every position.
    const ids = [this.dims.bos, ...guess];
    const feeds: Feeds = {
      input_ids: int64Tensor(Array.from({ length: rows }, () => ids).flat(), [rows, ids.length]),
      encoder_hidden_states: encoderStates,
      use_cache_branch: boolTensor([false], [1]),
    };
    for (const name of [...this.#selfNames.past, ...this.#crossNames.past]) feeds[name] = empty;
    this.#encoderMask(feeds, rows, samples);
    const out = await this.#decoder.run(feeds, ['logits', ...this.#selfNames.present, ...this.#crossNames.present]);
    return {
      logits: logitsOf(out.logits),
      cache: {
        self: this.#selfNames.present.map((n) => out[n]!),
        cross: this.#crossNames.present.map((n) => out[n]!),
        samples,
      },
    };
  }

  /** One cached step: one new token per row. */
  async step(tokens: readonly number[], cache: KvCache): Promise<{ logits: Logits; cache: KvCache }> {
    const rows = tokens.length;
    // The cached branch never reads encoder_hidden_states, but the merged graph declares it: one position will do.
    const feeds: Feeds = {
      input_ids: int64Tensor(tokens, [rows, 1]),
      encoder_hidden_states: floatTensor(new Float32Array(rows * this.dims.hidden), [rows, 1, this.dims.hidden]),
      use_cache_branch: boolTensor([true], [1]),
    };
    this.#selfNames.past.forEach((n, i) => (feeds[n] = cache.self[i]!));
    this.#crossNames.past.forEach((n, i) => (feeds[n] = cache.cross[i]!));
    this.#encoderMask(feeds, rows, cache.samples);
    const out = await this.#decoder.run(feeds, ['logits', ...this.#selfNames.present]);
    return {
      logits: logitsOf(out.logits),
      cache: { self: this.#selfNames.present.map((n) => out[n]!), cross: cache.cross, samples: cache.samples },
    };
  }

  /**
   * Newer Optimum exports take a sample-level mask (as transformers.js feeds the processor's `attention_mask`) and
   * bring it to the encoder's positions inside; rows here are never padded, so it is all ones.
   */
  #encoderMask(feeds: Feeds, rows: number, samples: number): void {
    if (this.#decoder.inputNames.includes('encoder_attention_mask'))
      feeds.encoder_attention_mask = int64Tensor(new Array<number>(rows * samples).fill(1), [rows, samples]);
  }

  async release(): Promise<void> {
    await Promise.all([this.#encoder.release(), this.#decoder.release()]);
  }
}

/** Rows `rows` of a cache (finished rows dropped). */
export function selectCache(cache: KvCache, rows: readonly number[]): KvCache {
  return {
    self: cache.self.map((t) => gatherRows(t, rows)),
    cross: cache.cross.map((t) => gatherRows(t, rows)),
    samples: cache.samples,
  };
}

function logitsOf(tensor: Tensor | undefined): Logits {
  const data = floatData(tensor, 'logits');
  const [rows = 0, positions = 0, vocab = 0] = dimsOf(tensor!);
  return { data, rows, positions, vocab };
}

/** The last position's logits of one row. */
export function lastLogits(logits: Logits, row: number): Float32Array {
  return logitsAt(logits, row, logits.positions - 1);
}

/** The logits of one row at one position. */
export function logitsAt(logits: Logits, row: number, position: number): Float32Array {
  const start = (row * logits.positions + position) * logits.vocab;
  return logits.data.subarray(start, start + logits.vocab);
}

/** The self-attention cache cut back to its first `count` positions (a guess rejected after them). */
export function keepCache(cache: KvCache, count: number): KvCache {
  return { self: cache.self.map((t) => keepPositions(t, count)), cross: cache.cross, samples: cache.samples };
}
