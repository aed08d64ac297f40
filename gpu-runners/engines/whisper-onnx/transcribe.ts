/**
 * One batch of utterances through Whisper: features, one encoder call for all of them, one language-detection
 * call for those that name no language, then batched decodes (rows whose prompts have equal lengths share a
 * decoder call), temperature fallback for results that look wrong, and the no-speech guard. Utterances longer
 * than Whisper's 30 s window are cut into windows that are decoded as rows of the same batch.
 *
 * A request may ask for a fitted window (`window: 'fit'`): its encoder input is the utterance padded to whole
 * seconds (fit-window.ts) instead of 30 s. Rows are grouped by window length, one encoder call per length.
 */
import { EarshotError } from '../../../shared/errors.ts';
import type { Tensor } from '../../backend/onnx.ts';
import { decode, type DecodeInput, type DecodeResult } from './decoding.ts';
import { detectLanguages } from './detect-language.ts';
import { SOURCE_POSITIONS } from './encoder-window.ts';
import { CHUNK_SAMPLES, SAMPLE_RATE, type LogMelExtractor } from './features.ts';
import { fitPositions } from './fit-window.ts';
import type { LogitRules } from './logit-rules.ts';
import type { WhisperModel } from './model.ts';
import type { WhisperOptions } from './options.ts';
import { compressionRatio, isSilence, needsFallback } from './quality.ts';
import { toSegments, type Segment } from './segments.ts';
import type { WhisperTokenizer } from './tokenizer.ts';

export interface WhisperRequest {
  /** 16 kHz mono samples in [-1, 1]. */
  samples: Float32Array;
  /** Language code; undefined uses the engine's option, else the export's pinned language, else detection. */
  language?: string;
  /** Task; undefined uses the engine's option, else the export's pinned task, else `transcribe`. */
  task?: 'transcribe' | 'translate';
  /** The session's previous text, for conditioning. */
  prompt?: string;
  /** Glossary terms: they lead the prompt (like openai/whisper's initial prompt), so their spelling is likely. */
  terms?: readonly string[];
  /** A provisional snapshot: greedy, no fallback, no timestamps. */
  partial: boolean;
  /** `fast`: greedy whatever the beam option (a runner catching up); fallback and timestamps as usual. */
  effort?: 'fast' | 'full';
  /** `fit`: encode the utterance in a window fitted to it (when the model allows); `full` (default): 30 s. */
  window?: 'fit' | 'full';
}

export interface WhisperResult {
  text: string;
  language: string;
  segments: Segment[];
  /** Generated tokens of each window's accepted decode (timestamps included). */
  tokens: number[][];
  avgLogprob: number;
  noSpeechProb: number;
  /** Highest temperature any window needed. */
  temperature: number;
  /** Text of windows dropped by the no-speech rule: never shown, reported so it can be counted. */
  withheld: string;
}

/** One ≤ 30 s window of a request: a row of the batch. */
interface Window {
  request: number;
  offset: number;
  samples: Float32Array;
  language: string;
  task: 'transcribe' | 'translate';
  prompt: number[];
  sotIndex: number;
  partial: boolean;
  /** Greedy even when the engine's beam is wider. */
  greedy: boolean;
  seed: number;
  /** Encoder positions of its window: 1500 for 30 s, fewer when fitted. */
  positions: number;
  result?: DecodeResult;
}

export class WhisperTranscriber {
  readonly #model: WhisperModel;
  readonly #tokenizer: WhisperTokenizer;
  readonly #features: LogMelExtractor;
  readonly #options: WhisperOptions;

  constructor(model: WhisperModel, tokenizer: WhisperTokenizer, features: LogMelExtractor, options: WhisperOptions) {
    this.#model = model;
    this.#tokenizer = tokenizer;
    this.#features = features;
    this.#options = options;
  }

  async transcribe(requests: readonly WhisperRequest[], signal?: AbortSignal): Promise<WhisperResult[]> {
    const pinned = this.#model.generation;
    const defaults = {
      language: this.#options.language ?? pinned.language,
      task: this.#options.task ?? pinned.task ?? 'transcribe',
      seed: this.#options.seed,
    };
    const fits = this.#model.fits;
    const windows = requests.flatMap((request, i) => cut(request, i, defaults, this.#options, fits));
    const byLength = new Map<number, Window[]>();
    for (const w of windows) byLength.set(w.positions, [...(byLength.get(w.positions) ?? []), w]);
    for (const [positions, group] of byLength) {
      const rows = Math.max(1, Math.floor((this.#options.windowBudget ?? 1) * (SOURCE_POSITIONS / positions) ** 2));
      for (let i = 0; i < group.length; i += rows)
        await this.#transcribeWindows(group.slice(i, i + rows), requests, signal);
    }
    return requests.map((_, i) => this.#assemble(windows.filter((w) => w.request === i)));
  }

  /** Windows of one length: one encoder call, then detection and batched decodes over its states. */
  async #transcribeWindows(
    windows: Window[],
    requests: readonly WhisperRequest[],
    signal?: AbortSignal,
  ): Promise<void> {
    const frames = 2 * windows[0]!.positions;
    const states = await this.#model.encode(windows.map((w) => this.#features.extract(w.samples, frames)));

    const undetected = windows.flatMap((w, row) => (w.language ? [] : [row]));
    const detected = await detectLanguages(this.#model, states, undetected, this.#tokenizer.specials);
    undetected.forEach((row, i) => (windows[row]!.language = detected[i]!.language));
    for (const w of windows) this.#preparePrompt(w, requests[w.request]!);

    let pending = windows.map((_, row) => row);
    for (const [attempt, temperature] of this.#options.temperatures.entries()) {
      const rows = pending.filter((row) => attempt === 0 || !windows[row]!.partial);
      if (rows.length === 0) break;
      await this.#decodeRows(windows, rows, states, temperature, signal);
      pending = rows.filter((row) => {
        const w = windows[row]!;
        return !w.partial && needsFallback(this.#quality(w.result!), this.#options);
      });
    }
  }

  #preparePrompt(w: Window, request: WhisperRequest): void {
    const { specials } = this.#tokenizer;
    const prompt: number[] = [];
    const budget = this.#options.maxPromptTokens;
    // Glossary first and kept whole (up to the budget); the previous text fills what is left, its end nearest.
    const context =
      request.terms?.length && budget > 0
        ? this.#tokenizer.encode(` ${request.terms.join(', ')}.`).slice(0, budget)
        : [];
    if (this.#options.conditionOnPreviousText && request.prompt?.trim() && budget > context.length) {
      context.push(...this.#tokenizer.encode(` ${request.prompt.trim()}`).slice(-(budget - context.length)));
    }
    if (context.length > 0) prompt.push(specials.startOfPrev, ...context);
    w.sotIndex = prompt.length;
    prompt.push(specials.sot);
    if (this.#model.generation.isMultilingual) {
      const language = specials.languages.get(w.language);
      if (language === undefined)
        throw new EarshotError('unsupported_language', `whisper has no language "${w.language}"`);
      prompt.push(language, w.task === 'translate' ? specials.translate : specials.transcribe);
    }
    if (!this.#timestamps(w)) prompt.push(specials.noTimestamps);
    w.prompt = prompt;
  }

  #timestamps(w: Window): boolean {
    return this.#options.timestamps && !w.partial;
  }

  /** Decodes `rows` at one temperature, one decoder batch per (prompt length, mode). */
  async #decodeRows(
    windows: Window[],
    rows: number[],
    states: Tensor,
    temperature: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const groups = new Map<string, number[]>();
    for (const row of rows) {
      const w = windows[row]!;
      const key = `${w.prompt.length}:${w.partial}:${w.greedy}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const members of groups.values()) {
      const sample = windows[members[0]!]!;
      const rules: LogitRules = {
        specials: this.#tokenizer.specials,
        suppress: this.#model.generation.suppressTokens,
        beginSuppress: this.#model.generation.beginSuppressTokens,
        timestamps: this.#timestamps(sample),
        maxInitialTimestampIndex:
          this.#options.maxInitialTimestamp !== undefined
            ? Math.round(this.#options.maxInitialTimestamp / 0.02)
            : (this.#model.generation.maxInitialTimestampIndex ?? 50),
      };
      const inputs: DecodeInput[] = members.map((row) => ({
        prompt: windows[row]!.prompt,
        encoderRow: row,
        sotIndex: windows[row]!.sotIndex,
        seed: windows[row]!.seed,
      }));
      const settings = {
        temperature,
        beamSize: sample.greedy ? 1 : this.#options.beamSize,
        bestOf: this.#options.bestOf,
        maxNewTokens: this.#options.maxNewTokens,
        rules,
      };
      const results = await decode(this.#model, states, inputs, settings, signal);
      members.forEach((row, i) => (windows[row]!.result = results[i]!));
    }
  }

  #quality(r: DecodeResult) {
    return {
      avgLogprob: r.avgLogprob,
      noSpeechProb: r.noSpeechProb,
      compressionRatio: compressionRatio(this.#tokenizer.decode(r.tokens)),
    };
  }

  #assemble(windows: Window[]): WhisperResult {
    const out: WhisperResult = {
      text: '',
      language: windows[0]?.language ?? '',
      segments: [],
      tokens: [],
      avgLogprob: 0,
      noSpeechProb: 0,
      temperature: 0,
      withheld: '',
    };
    for (const w of windows) {
      const r = w.result!;
      out.tokens.push(r.tokens);
      out.avgLogprob += r.avgLogprob / windows.length;
      out.noSpeechProb = Math.max(out.noSpeechProb, r.noSpeechProb);
      out.temperature = Math.max(out.temperature, r.temperature);
      if (isSilence(r, this.#options)) {
        out.withheld += this.#tokenizer.decode(r.tokens);
        continue;
      }
      const duration = w.samples.length / SAMPLE_RATE;
      out.text += this.#tokenizer.decode(r.tokens);
      out.segments.push(...toSegments(r.tokens, this.#tokenizer, duration, w.offset));
    }
    return out;
  }
}

/** A request's 30 s windows (at least one, even for empty audio); language and task default to `defaults`. */
function cut(
  request: WhisperRequest,
  index: number,
  defaults: { language?: string; task: 'transcribe' | 'translate'; seed: number },
  options: WhisperOptions,
  fits: boolean,
): Window[] {
  const windows: Window[] = [];
  for (let start = 0; start === 0 || start < request.samples.length; start += CHUNK_SAMPLES) {
    const samples = request.samples.subarray(start, start + CHUNK_SAMPLES);
    const positions =
      fits && request.window === 'fit' ? fitPositions(samples.length, request.partial, options) : SOURCE_POSITIONS;
    windows.push({
      request: index,
      offset: start / SAMPLE_RATE,
      samples,
      language: request.language ?? defaults.language ?? '',
      task: request.task ?? defaults.task,
      prompt: [],
      sotIndex: 0,
      partial: request.partial,
      greedy: request.partial || request.effort === 'fast',
      seed: (seedOf(samples) ^ defaults.seed) >>> 0,
      positions,
    });
  }
  return windows;
}

/** A seed from the audio itself, so sampling does not depend on which batch an utterance landed in. */
function seedOf(samples: Float32Array): number {
  let h = 0x811c9dc5;
  const step = Math.max(1, Math.floor(samples.length / 4096));
  for (let i = 0; i < samples.length; i += step) h = Math.imul(h ^ Math.round(samples[i]! * 32768), 0x01000193);
  return (h ^ samples.length) >>> 0;
}
