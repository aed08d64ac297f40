/**
 * The `whisper-onnx` STT engine: Whisper in the Optimum / transformers.js ONNX layout on onnxruntime-node, on the
 * CPU or a CUDA GPU, batched across sessions (a runner's whole batch is one encoder call and batched decodes).
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
import { LogMelExtractor } from './features.ts';
import { WHISPER_LANGUAGES } from './languages.ts';
import { WHISPER_FILES, WHISPER_GRAPHS, WhisperModel } from './model.ts';
import { whisperOptions, type WhisperOptions } from './options.ts';
import { WhisperTokenizer } from './tokenizer.ts';
import { WhisperTranscriber, type WhisperRequest, type WhisperResult } from './transcribe.ts';

export interface WhisperOnnxEngineOptions {
  /** A directory, or a model name the store resolves (e.g. `onnx-community/whisper-base`). */
  model: string;
  store: ModelStore;
  /** `cpu` or `cuda:N`. */
  device?: string;
  /** Threads per operator; 0 lets onnxruntime decide. */
  threads?: number;
  /** Weight precision (transformers.js names; default `auto`: the export's choice, else the device's default). */
  dtype?: DtypeSetting;
  /** Threads across independent operators; 0 lets onnxruntime decide. */
  interOpThreads?: number;
  /** Rewrite the encoder for fitted windows (requests with `window: 'fit'`); default true. */
  fit?: boolean;
  whisper?: Partial<WhisperOptions>;
  logger?: Logger;
}

interface Loaded {
  model: WhisperModel;
  tokenizer: WhisperTokenizer;
  transcriber: WhisperTranscriber;
}

export class WhisperOnnxEngine implements SttEngine {
  readonly name = 'whisper-onnx';
  readonly options: WhisperOptions;
  readonly device: DeviceSpec;
  /** The loaded graphs' dtype (`q8`, or per graph); undefined before load. */
  dtype: string | undefined;
  readonly #o: WhisperOnnxEngineOptions;
  readonly #logger: Logger;
  #loaded: Loaded | undefined;

  constructor(options: WhisperOnnxEngineOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ engine: 'whisper-onnx' });
    // Both are checked now so a typo in --device or an option fails at start, before a model is fetched.
    this.device = parseDevice(options.device ?? 'cpu');
    this.options = whisperOptions({ windowBudget: this.device.kind === 'cuda' ? 16 : 1, ...options.whisper });
  }

  /** The model's languages once loaded; Whisper's list before. */
  get languages(): readonly string[] {
    return this.#loaded ? [...this.#loaded.tokenizer.specials.languages.keys()] : WHISPER_LANGUAGES;
  }

  /** The server's language (EARSHOT_LANGUAGE), else the export's pinned one once loaded; undefined: detect. */
  get defaultLanguage(): string | undefined {
    return this.options.language ?? this.#loaded?.model.generation.language;
  }

  /** Whether the loaded encoder takes fitted windows (false before load, or for an export that cannot be rewritten). */
  get fitsWindows(): boolean {
    return this.#loaded?.model.fits ?? false;
  }

  async load(): Promise<void> {
    if (this.#loaded) return;
    const started = performance.now();
    const graphs = await resolveGraphs(this.#o.store, {
      model: this.#o.model,
      files: WHISPER_FILES,
      graphs: WHISPER_GRAPHS,
      dtype: this.#o.dtype ?? 'auto',
      device: this.device.kind,
    });
    const dir = graphs.dir;
    const files = { encoder: graphs.files.encoder_model!, decoder: graphs.files.decoder_model_merged! };
    const model = await WhisperModel.load(dir, {
      device: this.device,
      logger: this.#logger,
      threads: this.#o.threads,
      interOpThreads: this.#o.interOpThreads,
      fit: this.#o.fit,
      files,
    });
    this.dtype = graphs.description;
    const tokenizer = new WhisperTokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
    const transcriber = new WhisperTranscriber(model, tokenizer, new LogMelExtractor(model.dims.nMels), this.options);
    this.#loaded = { model, tokenizer, transcriber };
    const device = this.device.kind === 'cuda' ? `cuda:${this.device.index}` : 'cpu';
    this.#logger.info(
      {
        model: this.#o.model,
        dir,
        device,
        dtype: graphs.description,
        mels: model.dims.nMels,
        fittedWindows: model.fits,
        layers: model.dims.decoderLayers,
        ms: Math.round(performance.now() - started),
      },
      'whisper loaded',
    );
  }

  async transcribe(batch: readonly SttRequest[], signal?: AbortSignal): Promise<SttResult[]> {
    const results = await this.transcribeDetailed(
      batch.map((r) => ({
        samples: pcm16ToFloat(r.pcm),
        language: r.language,
        prompt: r.prompt,
        partial: r.partial,
        effort: r.effort,
        window: r.window,
        ...(r.glossary?.length ? { terms: r.glossary.map((g) => g.term) } : {}),
      })),
      signal,
    );
    return results.map((r, i) => ({
      id: batch[i]!.id,
      text: r.text.trim(),
      language: r.language,
      segments: r.segments,
      tokens: r.tokens.flat(),
      noSpeechProb: r.noSpeechProb,
      avgLogprob: r.avgLogprob,
      ...(r.withheld.trim() ? { withheld: r.withheld.trim() } : {}),
    }));
  }

  /** Whisper's full results (tokens, probabilities, segments): what tests and benchmarks look at. */
  async transcribeDetailed(requests: readonly WhisperRequest[], signal?: AbortSignal): Promise<WhisperResult[]> {
    const loaded = this.#loaded;
    if (!loaded) throw new EarshotError('engine_unavailable', 'whisper-onnx: load() the engine before transcribing');
    return loaded.transcriber.transcribe(requests, signal);
  }

  /** The tokenizer of the loaded model. */
  get tokenizer(): WhisperTokenizer {
    if (!this.#loaded) throw new EarshotError('engine_unavailable', 'whisper-onnx: not loaded');
    return this.#loaded.tokenizer;
  }

  async close(): Promise<void> {
    await this.#loaded?.model.release();
    this.#loaded = undefined;
  }
}
