/**
 * One batch of utterances through Moonshine. The encoder has no attention mask in the published exports and its
 * first GroupNorm spans the whole input, so zero padding would change every position: rows are grouped instead —
 * one encoder call per distinct length, then one batched greedy decode per distinct number of encoder positions
 * (positions come in 24 ms steps, so utterances of nearly equal length share a decoder call). A row whose audio
 * starts like a recent one (a growing live utterance) is decoded alone with that result as a guess (speculation.ts).
 * Each row's tokens depend only on its own audio: decoding it alone, with or without a guess, gives the same tokens.
 */
import { EarshotError } from '../../../shared/errors.ts';
import { gatherRows, stackRows, type Tensor } from '../../backend/onnx.ts';
import { argmax, logSumExp } from '../whisper-onnx/logit-rules.ts';
import {
  encoderPositions,
  keepCache,
  lastLogits,
  logitsAt,
  MIN_SAMPLES,
  selectCache,
  type KvCache,
  type Logits,
  type MoonshineModel,
} from './model.ts';
import type { MoonshineOptions } from './options.ts';
import { RecentTranscripts } from './speculation.ts';
import type { MoonshineTokenizer } from './tokenizer.ts';

export const SAMPLE_RATE = 16000;

export interface MoonshineRequest {
  /** 16 kHz mono samples in [-1, 1]. */
  samples: Float32Array;
}

export interface MoonshineResult {
  text: string;
  /** Generated tokens, without the start token and `</s>`. */
  tokens: number[];
  /** Mean log-probability of the generated tokens (`</s>` included when reached). */
  avgLogprob: number;
  /** True when the tokens-per-second limit stopped the decode (a loop, or very fast speech). */
  limited: boolean;
  /** Tokens taken from the guess (the previous result of a growing utterance) without a decoder step of their own. */
  accepted: number;
}

interface Row {
  samples: Float32Array;
  /** Tokens to verify in one pass before stepping (speculation.ts), and how many of them the decoder kept. */
  guess?: number[];
  accepted: number;
  positions: number;
  maxNew: number;
  states?: Tensor;
  tokens: number[];
  sumLogprob: number;
  ended: boolean;
}

export class MoonshineTranscriber {
  readonly #model: MoonshineModel;
  readonly #tokenizer: MoonshineTokenizer;
  readonly #options: MoonshineOptions;
  readonly #recent = new RecentTranscripts();

  constructor(model: MoonshineModel, tokenizer: MoonshineTokenizer, options: MoonshineOptions) {
    this.#model = model;
    this.#tokenizer = tokenizer;
    this.#options = options;
  }

  /** Tokens an utterance of `samples` samples may generate: the per-second brake, at least one, within the context. */
  maxNewTokens(samples: number): number {
    const brake = Math.max(1, Math.ceil((samples / SAMPLE_RATE) * this.#options.tokensPerSecond));
    return Math.min(brake, this.#options.maxNewTokens, this.#model.dims.maxPositions - 1);
  }

  async transcribe(requests: readonly MoonshineRequest[], signal?: AbortSignal): Promise<MoonshineResult[]> {
    const rows: Row[] = requests.map((r) => {
      const samples = this.#prepare(r.samples);
      const guess = this.#options.speculate ? this.#recent.guess(r.samples) : undefined;
      return {
        samples,
        guess,
        positions: encoderPositions(samples.length),
        maxNew: this.maxNewTokens(r.samples.length),
        tokens: [],
        sumLogprob: 0,
        ended: false,
        accepted: 0,
      };
    });
    for (const group of chunks(
      groupBy(rows, (r) => r.samples.length),
      this.#options.maxBatchRows,
    )) {
      const states = await this.#model.encode(group.map((r) => r.samples));
      group.forEach((r, i) => (r.states = gatherRows(states, [i])));
    }
    // A row with a guess is verified alone (its cache length is its own); the others batch by positions.
    for (const row of rows.filter((r) => r.guess)) await this.#decodeGuessed(row, signal);
    for (const group of chunks(
      groupBy(
        rows.filter((r) => !r.guess),
        (r) => r.positions,
      ),
      this.#options.maxBatchRows,
    ))
      await this.#decode(group, signal);
    if (this.#options.speculate) requests.forEach((r, i) => this.#recent.remember(r.samples, rows[i]!.tokens));
    return rows.map((r) => ({
      text: this.#tokenizer.decode(r.tokens),
      tokens: r.tokens,
      avgLogprob: r.sumLogprob / Math.max(1, r.tokens.length + (r.ended ? 1 : 0)),
      limited: !r.ended,
      accepted: r.accepted,
    }));
  }

  /** Normalized when the export asks (Wav2Vec2's do_normalize); padded with silence up to one encoder position. */
  #prepare(input: Float32Array): Float32Array {
    let samples = input;
    if (this.#model.dims.normalize) {
      let mean = 0;
      for (const v of samples) mean += v / samples.length;
      let variance = 0;
      for (const v of samples) variance += (v - mean) ** 2 / samples.length;
      const scale = 1 / Math.sqrt(variance + 1e-7);
      samples = samples.map((v) => (v - mean) * scale);
    }
    if (samples.length >= MIN_SAMPLES) return samples;
    const padded = new Float32Array(MIN_SAMPLES);
    padded.set(samples);
    return padded;
  }

  /** Greedy decoding of rows with equal encoder positions; a row leaves the batch at `</s>` or its token limit. */
  async #decode(rows: Row[], signal?: AbortSignal): Promise<void> {
    const first = await this.#model.prefill(
      rows.length,
      stackRows(rows.map((r) => r.states!)),
      Math.min(...rows.map((r) => r.samples.length)),
    );
    await this.#greedy(rows, first.cache, first.logits, signal);
  }

  /**
   * One row with a guess: the start token and the guess in one pass; the decoder's own choice at each position is
   * kept while it equals the guess, then greedy steps go on from the first difference (or the guess's end), with
   * the cache cut back to the tokens kept. The tokens are those of decoding without a guess.
   */
  async #decodeGuessed(row: Row, signal?: AbortSignal): Promise<void> {
    const { eos } = this.#model.dims;
    const guess = row.guess!.slice(0, row.maxNew);
    const first = await this.#model.prefill(1, row.states!, row.samples.length, guess);
    for (let position = 0; ; position++) {
      const scores = logitsAt(first.logits, 0, position);
      const token = argmax(scores);
      row.sumLogprob += scores[token]! - logSumExp(scores);
      if (token === eos) {
        row.ended = true;
        break;
      }
      row.tokens.push(token);
      if (row.tokens.length >= row.maxNew) break;
      if (position < guess.length && token === guess[position]) {
        row.accepted++;
        continue;
      }
      const stepped = await this.#model.step([token], keepCache(first.cache, position + 1));
      await this.#greedy([row], stepped.cache, stepped.logits, signal);
      break;
    }
    row.states = undefined;
  }

  /** Greedy steps from `logits` (one row each, in `rows` order) until every row ends or reaches its limit. */
  async #greedy(rows: Row[], cache: KvCache, logits: Logits, signal?: AbortSignal): Promise<void> {
    const { eos } = this.#model.dims;
    let open = rows.map((_, i) => i); // indexes into `rows` of the rows in the current batch, in batch order
    while (open.length > 0) {
      if (signal?.aborted) throw new EarshotError('stt_failed', 'transcription aborted');
      const keep: number[] = [];
      const next: number[] = [];
      open.forEach((index, batchRow) => {
        const row = rows[index]!;
        const scores = lastLogits(logits, batchRow);
        const token = argmax(scores);
        row.sumLogprob += scores[token]! - logSumExp(scores);
        if (token === eos) {
          row.ended = true;
          return;
        }
        row.tokens.push(token);
        if (row.tokens.length >= row.maxNew) return;
        keep.push(batchRow);
        next.push(token);
      });
      if (keep.length === 0) break;
      const stepped = await this.#model.step(next, selectCache(cache, keep));
      cache = stepped.cache;
      logits = stepped.logits;
      open = keep.map((batchRow) => open[batchRow]!);
    }
    for (const r of rows) r.states = undefined;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

function chunks<T>(groups: T[][], size: number): T[][] {
  return groups.flatMap((g) =>
    Array.from({ length: Math.ceil(g.length / size) }, (_, i) => g.slice(i * size, (i + 1) * size)),
  );
}
