/**
 * The production MT engine: NLLB-200 (or M2M100) exported to ONNX, run with onnxruntime through the backend module.
 * A runner's batch is cut into model batches per target language; each is encoded padded, then decoded greedily or
 * with a beam, the target language forced as the first generated token. Recent translations are cached.
 */
import { EarshotError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { LayeredModelStore, type ModelManifest } from '../../models/model-store.ts';
import type { MtEngine, MtRequest, MtResult } from '../types.ts';
import { planBatches, type EncodedSentence } from './batching.ts';
import { beamSearch } from './beam-search.ts';
import { greedyDecode } from './greedy.ts';
import { languageToken } from './languages.ts';
import { readSeq2SeqConfig } from './model-config.ts';
import { maxNewTokens, resolveOptions, type DecodingOptions, type NllbEngineOptions } from './options.ts';
import { resolveGraphs } from '../../models/resolve-graphs.ts';
import { DECODER_FILE, ENCODER_FILE, Seq2SeqModel } from './seq2seq-model.ts';
import { NllbTokenizer } from './tokenizer.ts';
import { TranslationCache } from './translation-cache.ts';

/** The non-graph files and the graphs (at a dtype) of an NLLB / M2M100 export. */
export const NLLB_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
export const NLLB_GRAPHS = ['encoder_model', 'decoder_model_merged'] as const;

/** The files of a model directory this engine reads, in fp32. */
export const NLLB_MANIFEST: ModelManifest = {
  required: ['config.json', 'tokenizer.json', 'tokenizer_config.json', ENCODER_FILE, DECODER_FILE],
  // External weight data is found from the graphs' references.
  optional: ['generation_config.json'],
};

interface Loaded {
  tokenizer: NllbTokenizer;
  model: Seq2SeqModel;
}

export interface EngineStats {
  /** Sentences translated by the model (cache hits and pass-throughs excluded). */
  sentences: number;
  /** Tokens the decoder generated, language token and </s> included. */
  generatedTokens: number;
  /** Model batches run. */
  batches: number;
  cache: { size: number; hits: number; misses: number };
}

interface Pending extends EncodedSentence {
  key: string;
  /** Positions in the request batch waiting for this text (identical requests are translated once). */
  positions: number[];
}

export class NllbOnnxEngine implements MtEngine {
  readonly name = 'nllb-onnx';
  /** The loaded graphs' dtype (`q8`, or per graph); undefined before load. */
  dtype: string | undefined;
  readonly #options: NllbEngineOptions;
  readonly #decoding: DecodingOptions;
  readonly #cache: TranslationCache;
  readonly #logger: Logger;
  #loaded: Loaded | undefined;
  readonly #totals = { sentences: 0, generatedTokens: 0, batches: 0 };

  constructor(options: NllbEngineOptions) {
    this.#options = options;
    this.#decoding = resolveOptions(options);
    this.#cache = new TranslationCache(this.#decoding.cacheSize);
    this.#logger = (options.logger ?? silentLogger).child({ engine: this.name });
  }

  /** Resolves the model (directory or name) and loads tokenizer, configuration and both ONNX graphs. */
  async load(): Promise<void> {
    if (this.#loaded) return;
    const store = this.#options.store ?? new LayeredModelStore({ logger: this.#logger });
    const graphs = await resolveGraphs(store, {
      model: this.#options.model,
      files: NLLB_FILES,
      optional: NLLB_MANIFEST.optional,
      graphs: NLLB_GRAPHS,
      dtype: this.#options.dtype ?? 'auto',
      device: this.#options.device?.kind ?? 'cpu',
    });
    const dir = graphs.dir;
    const [tokenizer, config] = await Promise.all([NllbTokenizer.load(dir), readSeq2SeqConfig(dir)]);
    const files = { encoder: graphs.files.encoder_model!, decoder: graphs.files.decoder_model_merged! };
    const model = await Seq2SeqModel.load(dir, config, {
      device: this.#options.device,
      threads: this.#decoding.threads,
      logger: this.#logger,
      files,
    });
    this.#loaded = { tokenizer, model };
    this.dtype = graphs.description;
    this.#logger.info(
      {
        model: this.#options.model,
        dir,
        dtype: graphs.description,
        languages: tokenizer.languageTokens().length,
        beams: this.#decoding.beams,
      },
      'nllb-onnx loaded',
    );
  }

  /** Both languages have a token in the model's vocabulary (false before `load`). */
  supports(source: string, target: string): boolean {
    const loaded = this.#loaded;
    return (
      !!loaded &&
      this.#languageId(loaded.tokenizer, source) !== undefined &&
      this.#languageId(loaded.tokenizer, target) !== undefined
    );
  }

  /** Running totals, for health output and benchmarks: sentences through the model, tokens generated, cache use. */
  get stats(): EngineStats {
    return { ...this.#totals, cache: { size: this.#cache.size, hits: this.#cache.hits, misses: this.#cache.misses } };
  }

  async translate(batch: readonly MtRequest[], signal?: AbortSignal): Promise<MtResult[]> {
    signal?.throwIfAborted();
    const loaded = this.#loaded;
    if (!loaded) throw new EarshotError('engine_unavailable', 'nllb-onnx: translate() before load()');
    const { tokenizer } = loaded;
    const texts: (string | undefined)[] = batch.map(() => undefined);
    const pending = new Map<string, Pending>();
    // Check the whole batch first: an unsupported pair fails the batch before any compute is spent on it.
    const resolved = batch.map((req) => {
      const sourceId = this.#languageId(tokenizer, req.source);
      const targetId = this.#languageId(tokenizer, req.target);
      if (sourceId === undefined || targetId === undefined) {
        const which = targetId === undefined ? `target "${req.target}"` : `source "${req.source}"`;
        throw new EarshotError(
          'unsupported_target',
          `nllb-onnx: the model has no ${which} language (it knows ${tokenizer.languageTokens().length} languages, e.g. ${tokenizer.languageTokens().slice(0, 5).join(', ')})`,
        );
      }
      return { sourceId, targetId };
    });
    batch.forEach((req, position) => {
      const { sourceId, targetId } = resolved[position]!;
      const text = req.text.trim();
      // Nothing to translate, or nothing to change: no model call.
      if (!text || sourceId === targetId) return void (texts[position] = text);
      const key = TranslationCache.key(sourceId, targetId, text);
      const cached = this.#cache.get(key);
      if (cached !== undefined) return void (texts[position] = cached);
      const known = pending.get(key);
      if (known) return void known.positions.push(position);
      pending.set(key, { key, ids: tokenizer.encode(text, sourceId), targetId, positions: [position] });
    });

    for (const group of planBatches([...pending.values()], this.#decoding.maxBatch)) {
      const started = performance.now();
      const generated = await this.#generate(loaded, group, signal);
      this.#totals.batches += 1;
      this.#totals.sentences += group.length;
      group.forEach((sentence, i) => {
        this.#totals.generatedTokens += generated[i]!.length;
        const text = tokenizer.decode(generated[i]!);
        this.#cache.set(sentence.key, text);
        for (const position of sentence.positions) texts[position] = text;
      });
      this.#logger.debug(
        { sentences: group.length, target: group[0]?.targetId, ms: Math.round(performance.now() - started) },
        'translated batch',
      );
    }
    return batch.map((req, i) => ({ id: req.id, text: texts[i] ?? '' }));
  }

  /** Generated token ids (language token first) of one model batch, all sentences for the same target. */
  async #generate(loaded: Loaded, group: readonly EncodedSentence[], signal?: AbortSignal): Promise<number[][]> {
    const { model, tokenizer } = loaded;
    const specs = group.map((s) => ({
      forcedBos: s.targetId,
      maxNewTokens: maxNewTokens(s.ids.length, this.#decoding, model.config.maxLength),
    }));
    const run = await model.encode(
      group.map((s) => s.ids),
      tokenizer.padId,
    );
    const { beams, lengthPenalty } = this.#decoding;
    // The model configuration carries the special ids (decoder start, </s>, forced </s>) the loops need.
    return beams > 1
      ? beamSearch(run, specs, model.config, { beams, lengthPenalty }, signal)
      : greedyDecode(run, specs, model.config, signal);
  }

  async close(): Promise<void> {
    const loaded = this.#loaded;
    this.#loaded = undefined;
    await loaded?.model.release();
  }

  #languageId(tokenizer: NllbTokenizer, code: string): number | undefined {
    const token = languageToken(tokenizer.scheme, code);
    return token === undefined ? undefined : tokenizer.tokenId(token);
  }
}
