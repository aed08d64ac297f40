/**
 * A Whisper model in the Optimum / transformers.js ONNX layout: `onnx/encoder_model.onnx` (log-mel → hidden
 * states) and `onnx/decoder_model_merged.onnx`, whose `use_cache_branch` input picks between the first pass
 * (computes cross-attention keys/values from the encoder states) and cached steps (reuses them, appends one token's
 * self-attention keys/values). This module runs the two graphs and carries the KV cache; decoding policy lives in
 * decoding.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  boolTensor,
  dimsOf,
  floatData,
  floatTensor,
  gatherRows,
  int64Tensor,
  OnnxSession,
  type DeviceSpec,
  type Feeds,
  type Tensor,
} from '../../backend/onnx.ts';
import { EarshotError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { ModelManifest } from '../../models/model-store.ts';
import { readGenerationConfig, type GenerationConfig } from './generation-config.ts';
import { fitEncoder, SOURCE_POSITIONS } from './encoder-window.ts';

/** The files an earshot Whisper model directory holds. */
export const WHISPER_MANIFEST: ModelManifest = {
  required: [
    'config.json',
    'generation_config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/encoder_model.onnx',
    'onnx/decoder_model_merged.onnx',
  ],
  // Weights kept beside a graph (models past protobuf's 2 GiB limit) are found from the graph's references.
};

export interface WhisperDims {
  nMels: number;
  dModel: number;
  decoderLayers: number;
  heads: number;
  headDim: number;
  /** The decoder's context: prompt plus generated tokens never exceed it. */
  maxTargetPositions: number;
}

export type { GenerationConfig };

/** Per layer, keys and values; self-attention grows a step at a time, cross-attention is fixed after the first. */
export interface KvCache {
  self: Tensor[];
  cross: Tensor[];
  /** Tokens the self-attention cache holds. */
  length: number;
}

/** Logits [rows, positions, vocab]. */
export interface Logits {
  data: Float32Array;
  rows: number;
  positions: number;
  vocab: number;
}

/** The logits of one row at one position. */
export function logitsAt(logits: Logits, row: number, position: number): Float32Array {
  const start = (row * logits.positions + position) * logits.vocab;
  return logits.data.subarray(start, start + logits.vocab);
}

/** Rows `rows` of a cache (beam reordering, finished rows dropped). */
export function selectCache(cache: KvCache, rows: readonly number[]): KvCache {
  return {
    self: cache.self.map((t) => gatherRows(t, rows)),
    cross: cache.cross.map((t) => gatherRows(t, rows)),
    length: cache.length,
  };
}

export interface LoadOptions {
  device: DeviceSpec;
  logger: Logger;
  /** Threads inside one operator (0: onnxruntime's choice) and across independent operators. */
  threads?: number;
  /** The graphs of the chosen dtype (default: the fp32 files). */
  files?: { encoder: string; decoder: string };
  interOpThreads?: number;
  /** Rewrite the encoder so it accepts windows shorter than 30 s (encoder-window.ts); default true. */
  fit?: boolean;
}

/** The non-graph files of a Whisper export; the graphs are `encoder_model` and `decoder_model_merged` at a dtype. */
export const WHISPER_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;
export const WHISPER_GRAPHS = ['encoder_model', 'decoder_model_merged'] as const;

export class WhisperModel {
  readonly dims: WhisperDims;
  readonly generation: GenerationConfig;
  readonly #encoder: OnnxSession;
  readonly #decoder: OnnxSession;
  readonly #selfOutputs: string[];
  /** Whether the encoder accepts windows shorter than 30 s. */
  readonly fits: boolean;

  private constructor(
    dims: WhisperDims,
    generation: GenerationConfig,
    encoder: OnnxSession,
    decoder: OnnxSession,
    fits: boolean,
  ) {
    this.fits = fits;
    this.dims = dims;
    this.generation = generation;
    this.#encoder = encoder;
    this.#decoder = decoder;
    this.#selfOutputs = ['logits', ...this.#layerNames('present', 'decoder')];
  }

  static async load(dir: string, options: LoadOptions): Promise<WhisperModel> {
    const json = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
    const config = json('config.json');
    const gen = json('generation_config.json');
    const pre = json('preprocessor_config.json');
    const num = (v: unknown, name: string): number => {
      if (typeof v !== 'number') throw new EarshotError('engine_unavailable', `${dir}: config has no numeric ${name}`);
      return v;
    };
    const sessionOptions = {
      device: options.device,
      logger: options.logger,
      threads: options.threads,
      interOpThreads: options.interOpThreads,
      failureCode: 'stt_failed' as const,
    };
    const heads = num(config.decoder_attention_heads, 'decoder_attention_heads');
    const dModel = num(config.d_model, 'd_model');
    const nMels = num(pre.feature_size ?? config.num_mel_bins, 'feature_size');
    const [{ encoder, fits }, decoder] = await Promise.all([
      loadEncoder(
        join(dir, options.files?.encoder ?? 'onnx/encoder_model.onnx'),
        { dModel, nMels, fit: options.fit ?? true, logger: options.logger },
        sessionOptions,
      ),
      OnnxSession.create(join(dir, options.files?.decoder ?? 'onnx/decoder_model_merged.onnx'), sessionOptions),
    ]);
    const dims: WhisperDims = {
      nMels,
      dModel,
      decoderLayers: num(config.decoder_layers, 'decoder_layers'),
      heads,
      headDim: dModel / heads,
      maxTargetPositions: num(config.max_target_positions ?? 448, 'max_target_positions'),
    };
    if (!decoder.inputNames.includes('use_cache_branch'))
      throw new EarshotError(
        'engine_unavailable',
        `${dir}: decoder_model_merged.onnx has no use_cache_branch input (not a merged decoder)`,
      );
    const generation = readGenerationConfig(gen, config);
    return new WhisperModel(dims, generation, encoder, decoder, fits);
  }

  #layerNames(prefix: 'present' | 'past_key_values', kind: 'decoder' | 'encoder'): string[] {
    return Array.from({ length: this.dims.decoderLayers }, (_, i) => [
      `${prefix}.${i}.${kind}.key`,
      `${prefix}.${i}.${kind}.value`,
    ]).flat();
  }

  /**
   * One encoder call for the whole batch: features [nMels·2P] each (P = 1500 for a 30 s window; less only when the
   * encoder `fits`) → hidden states [rows, P, dModel].
   */
  async encode(features: readonly Float32Array[]): Promise<Tensor> {
    const frameCount = (features[0]?.length ?? 0) / this.dims.nMels;
    if (features.some((f) => f.length !== frameCount * this.dims.nMels))
      throw new EarshotError('internal', 'encoder rows must have equal lengths');
    if (frameCount !== 2 * SOURCE_POSITIONS && !this.fits)
      throw new EarshotError('internal', `this encoder takes 30 s windows only, not ${frameCount} frames`);
    const input = new Float32Array(features.length * this.dims.nMels * frameCount);
    features.forEach((f, i) => input.set(f, i * f.length));
    const out = await this.#encoder.run({
      input_features: floatTensor(input, [features.length, this.dims.nMels, frameCount]),
    });
    const hidden = out.last_hidden_state;
    if (!hidden) throw new EarshotError('stt_failed', 'encoder returned no last_hidden_state');
    return hidden;
  }

  /**
   * The first decoder pass over each row's prompt (all rows the same length): computes the cross-attention cache
   * from the encoder states and returns logits for every prompt position.
   */
  async prefill(
    tokens: readonly (readonly number[])[],
    encoderStates: Tensor,
  ): Promise<{ logits: Logits; cache: KvCache }> {
    const rows = tokens.length;
    const empty = floatTensor(new Float32Array(0), [rows, this.dims.heads, 0, this.dims.headDim]);
    const feeds: Feeds = {
      input_ids: this.#ids(tokens),
      encoder_hidden_states: encoderStates,
      use_cache_branch: boolTensor([false], [1]),
    };
    for (const name of [
      ...this.#layerNames('past_key_values', 'decoder'),
      ...this.#layerNames('past_key_values', 'encoder'),
    ])
      feeds[name] = empty;
    const out = await this.#decoder.run(feeds, [...this.#selfOutputs, ...this.#layerNames('present', 'encoder')]);
    const cache: KvCache = {
      self: this.#layerNames('present', 'decoder').map((n) => out[n]!),
      cross: this.#layerNames('present', 'encoder').map((n) => out[n]!),
      length: tokens[0]?.length ?? 0,
    };
    return { logits: this.#logits(out.logits), cache };
  }

  /** One cached step: one new token per row. */
  async step(tokens: readonly number[], cache: KvCache): Promise<{ logits: Logits; cache: KvCache }> {
    const rows = tokens.length;
    // The cached branch never reads encoder_hidden_states (cross-attention comes from the cache), but the merged
    // graph still declares it: a one-position placeholder avoids copying the real states every step.
    const feeds: Feeds = {
      input_ids: this.#ids(tokens.map((t) => [t])),
      encoder_hidden_states: floatTensor(new Float32Array(rows * this.dims.dModel), [rows, 1, this.dims.dModel]),
      use_cache_branch: boolTensor([true], [1]),
    };
    this.#layerNames('past_key_values', 'decoder').forEach((n, i) => (feeds[n] = cache.self[i]!));
    this.#layerNames('past_key_values', 'encoder').forEach((n, i) => (feeds[n] = cache.cross[i]!));
    const out = await this.#decoder.run(feeds, this.#selfOutputs);
    const self = this.#layerNames('present', 'decoder').map((n) => out[n]!);
    return { logits: this.#logits(out.logits), cache: { self, cross: cache.cross, length: cache.length + 1 } };
  }

  #ids(tokens: readonly (readonly number[])[]): Tensor {
    const width = tokens[0]?.length ?? 0;
    if (tokens.some((t) => t.length !== width))
      throw new EarshotError('internal', 'decoder rows must have equal lengths');
    return int64Tensor(tokens.flat(), [tokens.length, width]);
  }

  #logits(tensor: Tensor | undefined): Logits {
    const data = floatData(tensor, 'logits');
    const [rows = 0, positions = 0, vocab = 0] = dimsOf(tensor!);
    return { data, rows, positions, vocab };
  }

  async release(): Promise<void> {
    await Promise.all([this.#encoder.release(), this.#decoder.release()]);
  }
}

interface EncoderShape {
  dModel: number;
  nMels: number;
  fit: boolean;
  logger: Logger;
}

/**
 * The encoder session, rewritten to accept fitted windows when `fit` asks for it and the export allows. An export
 * that cannot be fitted (an unusual graph) still loads, for 30 s windows, with a warning saying why.
 */
async function loadEncoder(
  path: string,
  shape: EncoderShape,
  options: Parameters<typeof OnnxSession.create>[1],
): Promise<{ encoder: OnnxSession; fits: boolean }> {
  if (!shape.fit) return { encoder: await OnnxSession.create(path, options), fits: false };
  let encoder: OnnxSession | undefined;
  try {
    const { bytes } = fitEncoder(readFileSync(path), shape.dModel);
    // Fitted windows come in many lengths, and a 30 s one's attention maps (heads × 1500² floats per layer) would
    // stay in the arena after the window is done: no arena, so memory follows the window being encoded.
    encoder = await createFitted(path, bytes, { ...options, memoryArena: false });
    // One short window proves the rewrite took (a graph with other fixed lengths fails here, not on a user's audio).
    const probe = await encoder.run({
      input_features: floatTensor(new Float32Array(shape.nMels * 100), [1, shape.nMels, 100]),
    });
    const dims = probe.last_hidden_state ? dimsOf(probe.last_hidden_state) : [];
    if (dims[1] !== 50) throw new EarshotError('engine_unavailable', `a 1 s window gave ${dims[1]} positions, not 50`);
    return { encoder, fits: true };
  } catch (err) {
    await encoder?.release();
    shape.logger.warn(
      { model: path, reason: err instanceof Error ? err.message : String(err) },
      'whisper encoder kept at 30 s windows',
    );
    return { encoder: await OnnxSession.create(path, options), fits: false };
  }
}

/**
 * A session on rewritten encoder bytes. Weights kept beside the graph (`encoder_model.onnx_data`, large models) are
 * found relative to the graph's file, so such a graph is written to a temporary directory that links to them.
 */
async function createFitted(
  path: string,
  bytes: Uint8Array,
  options: Parameters<typeof OnnxSession.create>[1],
): Promise<OnnxSession> {
  const data = `${path}_data`;
  if (!existsSync(data)) return OnnxSession.create(bytes, options);
  const dir = mkdtempSync(join(tmpdir(), 'earshot-encoder-'));
  try {
    writeFileSync(join(dir, basename(path)), bytes);
    symlinkSync(data, join(dir, basename(data)));
    return await OnnxSession.create(join(dir, basename(path)), options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
