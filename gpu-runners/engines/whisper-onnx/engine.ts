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
import type { ModelStore } from '../../models/model-store.ts';
import type { SttEngine, SttRequest, SttResult } from '../types.ts';
import { LogMelExtractor } from './features.ts';
import { WHISPER_LANGUAGES } from './languages.ts';
import { WHISPER_MANIFEST, WhisperModel } from './model.ts';
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
  readonly #o: WhisperOnnxEngineOptions;
  readonly #logger: Logger;
  #loaded: Loaded | undefined;

  constructor(options: WhisperOnnxEngineOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ engine: 'whisper-onnx' });
    // Both are checked now so a typo in --device or an option fails at start, before a model is fetched.
    this.device = parseDevice(options.device ?? 'cpu');
    this.options = whisperOptions(options.whisper);
  }

  /** The model's languages once loaded; Whisper's list before. */
  get languages(): readonly string[] {
    return this.#loaded ? [...this.#loaded.tokenizer.specials.languages.keys()] : WHISPER_LANGUAGES;
  }

  async load(): Promise<void> {
    if (this.#loaded) return;
    const started = performance.now();
    const dir = await this.#o.store.resolve(this.#o.model, WHISPER_MANIFEST);
    const model = await WhisperModel.load(dir, { device: this.device, logger: this.#logger, threads: this.#o.threads });
    const tokenizer = new WhisperTokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
    const transcriber = new WhisperTranscriber(model, tokenizer, new LogMelExtractor(model.dims.nMels), this.options);
    this.#loaded = { model, tokenizer, transcriber };
    const device = this.device.kind === 'cuda' ? `cuda:${this.device.index}` : 'cpu';
    this.#logger.info({ model: this.#o.model, dir, device, mels: model.dims.nMels, layers: model.dims.decoderLayers, ms: Math.round(performance.now() - started) }, 'whisper loaded');
  }

  async transcribe(batch: readonly SttRequest[], signal?: AbortSignal): Promise<SttResult[]> {
    const results = await this.transcribeDetailed(
      batch.map((r) => ({ samples: pcm16ToFloat(r.pcm), language: r.language, prompt: r.prompt, partial: r.partial, effort: r.effort, ...(r.glossary?.length ? { terms: r.glossary.map((g) => g.term) } : {}) })),
      signal,
    );
    return results.map((r, i) => ({ id: batch[i]!.id, text: r.text.trim(), language: r.language, segments: r.segments, tokens: r.tokens.flat(), noSpeechProb: r.noSpeechProb, avgLogprob: r.avgLogprob, ...(r.withheld.trim() ? { withheld: r.withheld.trim() } : {}) }));
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
