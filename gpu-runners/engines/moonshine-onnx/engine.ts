/**
 * The `moonshine-onnx` STT engine: Moonshine (Moonshine AI, 2024) in the onnx-community / transformers.js ONNX layout
 * on onnxruntime-node, CPU or CUDA. Built for live captions: the encoder reads raw audio with no fixed window, so a
 * 2 s partial costs a fifteenth of a 30 s one. Greedy decoding with the model's tokens-per-second brake; batched
 * across sessions by length (transcribe.ts). No prompt: Moonshine was trained without one, so glossaries and the
 * previous text cannot steer it (the capabilities say so).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pcm16ToFloat } from '../../../shared/audio/pcm.ts';
import { EarshotError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { parseDevice, type DeviceSpec } from '../../backend/onnx.ts';
import type { DtypeSetting } from '../../models/dtype.ts';
import type { ModelStore } from '../../models/model-store.ts';
import { resolveGraphs } from '../../models/resolve-graphs.ts';
import type { SttEngine, SttRequest, SttResult } from '../types.ts';
import { MOONSHINE_FILES, MOONSHINE_GRAPHS, MoonshineModel } from './model.ts';
import { moonshineOptions, type MoonshineOptions } from './options.ts';
import { MoonshineTokenizer } from './tokenizer.ts';
import { MoonshineTranscriber, SAMPLE_RATE, type MoonshineRequest, type MoonshineResult } from './transcribe.ts';

export interface MoonshineOnnxEngineOptions {
  /** A directory, or a model name the store resolves (e.g. `onnx-community/moonshine-base-ONNX`). */
  model: string;
  store: ModelStore;
  /** `cpu` or `cuda:N`. */
  device?: string;
  dtype?: DtypeSetting;
  threads?: number;
  interOpThreads?: number;
  /**
   * The language the model speaks: the English models (tiny, base) by default; Moonshine AI's single-language
   * models (es, ar, ja, ko, zh, uk, vi) need it said (EARSHOT_LANGUAGE), their exports do not record it.
   */
  language?: string;
  moonshine?: Partial<MoonshineOptions>;
  logger?: Logger;
}

interface Loaded {
  model: MoonshineModel;
  tokenizer: MoonshineTokenizer;
  transcriber: MoonshineTranscriber;
}

export class MoonshineOnnxEngine implements SttEngine {
  readonly name = 'moonshine-onnx';
  readonly options: MoonshineOptions;
  readonly device: DeviceSpec;
  readonly languages: readonly string[];
  readonly defaultLanguage: string;
  /** Moonshine has no fixed window to fit: every request is encoded at its own length. */
  readonly fitsWindows = false;
  dtype: string | undefined;
  readonly #o: MoonshineOnnxEngineOptions;
  readonly #logger: Logger;
  #loaded: Loaded | undefined;

  constructor(options: MoonshineOnnxEngineOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ engine: 'moonshine-onnx' });
    this.device = parseDevice(options.device ?? 'cpu');
    // Speculation decodes guessed rows one by one: a win on the CPU, where a batch costs its rows anyway; on a GPU
    // rows batched together are nearly free, so it is off there unless asked for.
    this.options = moonshineOptions({ speculate: this.device.kind === 'cpu', ...options.moonshine });
    this.defaultLanguage = options.language || 'en';
    this.languages = [this.defaultLanguage];
  }

  async load(): Promise<void> {
    if (this.#loaded) return;
    const started = performance.now();
    const graphs = await resolveGraphs(this.#o.store, {
      model: this.#o.model,
      files: MOONSHINE_FILES,
      graphs: MOONSHINE_GRAPHS,
      dtype: this.#o.dtype ?? 'auto',
      device: this.device.kind,
    });
    const files = { encoder: graphs.files.encoder_model!, decoder: graphs.files.decoder_model_merged! };
    const model = await MoonshineModel.load(graphs.dir, {
      device: this.device,
      logger: this.#logger,
      threads: this.#o.threads,
      interOpThreads: this.#o.interOpThreads,
      files,
    });
    const tokenizer = new MoonshineTokenizer(JSON.parse(readFileSync(join(graphs.dir, 'tokenizer.json'), 'utf8')));
    this.dtype = graphs.description;
    this.#loaded = { model, tokenizer, transcriber: new MoonshineTranscriber(model, tokenizer, this.options) };
    this.#logger.info(
      {
        model: this.#o.model,
        dir: graphs.dir,
        device: this.device.kind === 'cuda' ? `cuda:${this.device.index}` : 'cpu',
        dtype: graphs.description,
        layers: model.dims.decoderLayers,
        hidden: model.dims.hidden,
        ms: Math.round(performance.now() - started),
      },
      'moonshine loaded',
    );
  }

  async transcribe(batch: readonly SttRequest[], signal?: AbortSignal): Promise<SttResult[]> {
    for (const r of batch)
      if (r.language && r.language !== this.defaultLanguage)
        throw new EarshotError(
          'unsupported_language',
          `this moonshine model transcribes ${this.defaultLanguage}, not ${r.language}`,
        );
    const results = await this.transcribeDetailed(
      batch.map((r) => ({ samples: pcm16ToFloat(r.pcm) })),
      signal,
    );
    return results.map((r, i) => {
      const text = r.text.trim();
      const duration = batch[i]!.pcm.length / SAMPLE_RATE;
      // Moonshine predicts no timestamps: the utterance is one timed segment.
      return {
        id: batch[i]!.id,
        text,
        language: this.defaultLanguage,
        segments: text ? [{ start: 0, end: duration, text }] : [],
        tokens: r.tokens,
        avgLogprob: r.avgLogprob,
      };
    });
  }

  /** Tokens, log-probabilities and whether the brake stopped the decode: what tests and benchmarks look at. */
  async transcribeDetailed(requests: readonly MoonshineRequest[], signal?: AbortSignal): Promise<MoonshineResult[]> {
    if (!this.#loaded)
      throw new EarshotError('engine_unavailable', 'moonshine-onnx: load() the engine before transcribing');
    return this.#loaded.transcriber.transcribe(requests, signal);
  }

  /** The token limit for `samples` samples of audio (the tokens-per-second brake). */
  maxNewTokens(samples: number): number {
    if (!this.#loaded) throw new EarshotError('engine_unavailable', 'moonshine-onnx: not loaded');
    return this.#loaded.transcriber.maxNewTokens(samples);
  }

  async close(): Promise<void> {
    await this.#loaded?.model.release();
    this.#loaded = undefined;
  }
}
