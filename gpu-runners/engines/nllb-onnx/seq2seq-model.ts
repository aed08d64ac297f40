/**
 * An NLLB / M2M100 model exported to ONNX in the Optimum / transformers.js layout: `onnx/encoder_model.onnx`
 * (input_ids, attention_mask → last_hidden_state) and `onnx/decoder_model_merged.onnx` (one graph for the first step
 * and the cached steps, switched by `use_cache_branch`). It runs the encoder on a padded batch and hands out decoder
 * runs that step a batch of rows one token at a time.
 */
import { join } from 'node:path';
import { EarshotError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import {
  boolTensor,
  dimsOf,
  floatData,
  int64Tensor,
  OnnxSession,
  zerosTensor,
  type DeviceSpec,
  type Tensor,
} from '../../backend/onnx.ts';
import { gatherRows, isIdentity, KvCache } from './kv-cache.ts';
import type { Seq2SeqConfig } from './model-config.ts';

/** Files of the layout, relative to the model directory. */
export const ENCODER_FILE = 'onnx/encoder_model.onnx';
export const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

export interface Seq2SeqModelOptions {
  device?: DeviceSpec;
  /** Threads per operator; 0 lets onnxruntime choose. */
  threads?: number;
  logger?: Logger;
  /** The graphs of the chosen dtype (default: the fp32 files). */
  files?: { encoder: string; decoder: string };
}

/** One decoding step's output: a view of each row's next-token logits. */
export type StepLogits = Float32Array[];

/**
 * A batch being decoded. Rows are whatever the caller makes of them (sentences, beams); `select` keeps, reorders
 * or repeats rows between steps.
 */
export interface DecoderRun {
  readonly rows: number;
  step(tokens: readonly number[]): Promise<StepLogits>;
  select(rows: readonly number[]): void;
}

export class Seq2SeqModel {
  readonly config: Seq2SeqConfig;
  readonly #encoder: OnnxSession;
  readonly #decoder: OnnxSession;

  private constructor(config: Seq2SeqConfig, encoder: OnnxSession, decoder: OnnxSession) {
    this.config = config;
    this.#encoder = encoder;
    this.#decoder = decoder;
  }

  /** Loads both graphs and checks that the decoder has the merged decoder's inputs. */
  static async load(dir: string, config: Seq2SeqConfig, options: Seq2SeqModelOptions = {}): Promise<Seq2SeqModel> {
    const sessionOptions = { ...options, failureCode: 'mt_failed' as const };
    const [encoder, decoder] = await Promise.all([
      OnnxSession.create(join(dir, options.files?.encoder ?? ENCODER_FILE), sessionOptions),
      OnnxSession.create(join(dir, options.files?.decoder ?? DECODER_FILE), sessionOptions),
    ]);
    const expected = ['input_ids', 'encoder_hidden_states', 'encoder_attention_mask', 'use_cache_branch'];
    for (let i = 0; i < config.decoderLayers; i++) {
      for (const part of ['decoder', 'encoder'])
        expected.push(`past_key_values.${i}.${part}.key`, `past_key_values.${i}.${part}.value`);
    }
    const missing = expected.filter((name) => !decoder.inputNames.includes(name));
    if (missing.length > 0 || !encoder.inputNames.includes('attention_mask')) {
      await Promise.all([encoder.release(), decoder.release()]);
      throw new EarshotError(
        'engine_unavailable',
        `${dir}: not a merged-decoder seq2seq export (missing ${missing.join(', ') || 'attention_mask'})`,
      );
    }
    return new Seq2SeqModel(config, encoder, decoder);
  }

  /**
   * Encodes rows of token ids, right-padded with `padId` to the longest; the attention mask hides the padding, so a
   * row's encoding does not depend on its neighbours.
   */
  async encode(rows: readonly (readonly number[])[], padId: number): Promise<DecoderRun> {
    const width = Math.max(...rows.map((r) => r.length));
    const ids: number[] = [];
    const mask: number[] = [];
    for (const row of rows) {
      for (let t = 0; t < width; t++) {
        ids.push(t < row.length ? row[t]! : padId);
        mask.push(t < row.length ? 1 : 0);
      }
    }
    const dims = [rows.length, width];
    const out = await this.#encoder.run(
      { input_ids: int64Tensor(ids, dims), attention_mask: int64Tensor(mask, dims) },
      ['last_hidden_state'],
    );
    const hidden = out.last_hidden_state;
    if (!hidden) throw new EarshotError('mt_failed', 'encoder returned no last_hidden_state');
    return new MergedDecoderRun(this.#decoder, this.config, hidden, mask, width);
  }

  async release(): Promise<void> {
    await Promise.all([this.#encoder.release(), this.#decoder.release()]);
  }
}

class MergedDecoderRun implements DecoderRun {
  readonly #session: OnnxSession;
  readonly #config: Seq2SeqConfig;
  readonly #cache = new KvCache();
  readonly #width: number;
  #hidden: Tensor;
  #mask: number[];
  /** The mask as a tensor, built once per set of rows rather than every step. */
  #maskTensor: Tensor | undefined;
  #rows: number;

  constructor(session: OnnxSession, config: Seq2SeqConfig, hidden: Tensor, mask: number[], width: number) {
    this.#session = session;
    this.#config = config;
    this.#hidden = hidden;
    this.#mask = mask;
    this.#width = width;
    this.#rows = dimsOf(hidden)[0]!;
  }

  get rows(): number {
    return this.#rows;
  }

  async step(tokens: readonly number[]): Promise<StepLogits> {
    if (tokens.length !== this.#rows)
      throw new EarshotError('internal', `decoder step with ${tokens.length} tokens for ${this.#rows} rows`);
    const filled = this.#cache.filled;
    const feeds = {
      input_ids: int64Tensor(tokens, [this.#rows, 1]),
      encoder_hidden_states: this.#hidden,
      encoder_attention_mask: (this.#maskTensor ??= int64Tensor(this.#mask, [this.#rows, this.#width])),
      use_cache_branch: boolTensor([filled], [1]),
      ...(filled ? this.#cache.feeds() : this.#emptyPast()),
    };
    // After the first step the encoder's keys and values never change: do not fetch them again.
    const wanted = this.#session.outputNames.filter(
      (name) => name === 'logits' || !filled || !name.includes('.encoder.'),
    );
    const out = await this.#session.run(feeds, wanted);
    this.#cache.update(out);
    const logits = floatData(out.logits, 'logits');
    const vocab = logits.length / this.#rows;
    return Array.from({ length: this.#rows }, (_, r) => logits.subarray(r * vocab, (r + 1) * vocab));
  }

  select(rows: readonly number[]): void {
    if (isIdentity(rows, this.#rows)) return;
    this.#hidden = gatherRows(this.#hidden, rows);
    this.#mask = rows.flatMap((row) => this.#mask.slice(row * this.#width, (row + 1) * this.#width));
    this.#maskTensor = undefined;
    this.#cache.select(rows);
    this.#rows = rows.length;
  }

  /** The first step's past: zero positions, as the merged decoder expects when `use_cache_branch` is false. */
  #emptyPast(): Record<string, Tensor> {
    const { decoderLayers, decoderHeads, headDim } = this.#config;
    const empty = zerosTensor([this.#rows, decoderHeads, 0, headDim]);
    const feeds: Record<string, Tensor> = {};
    for (let i = 0; i < decoderLayers; i++) {
      for (const part of ['decoder', 'encoder'])
        for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${part}.${kv}`] = empty;
    }
    return feeds;
  }
}
