/**
 * A decoder run without a model: each row's logits are a function of its sentence and the tokens it was fed. The
 * mock tracks every row's history through `select`, so a decoding loop that reorders rows wrongly, or feeds a row a
 * token it did not choose, changes the logits it sees (and the test's expected output).
 */
import type { DecoderRun, StepLogits } from '../../../gpu-runners/engines/nllb-onnx/seq2seq-model.ts';

export type LanguageModel = (sentence: number, history: readonly number[]) => Float32Array;

export class MockRun implements DecoderRun {
  /** Rows per step, in order: shows finished rows leaving the batch. */
  readonly rowsPerStep: number[] = [];
  #rows: { sentence: number; history: number[] }[];

  constructor(
    sentences: number,
    private readonly lm: LanguageModel,
  ) {
    this.#rows = Array.from({ length: sentences }, (_, sentence) => ({ sentence, history: [] }));
  }

  get rows(): number {
    return this.#rows.length;
  }

  async step(tokens: readonly number[]): Promise<StepLogits> {
    if (tokens.length !== this.#rows.length) throw new Error(`${tokens.length} tokens for ${this.#rows.length} rows`);
    this.rowsPerStep.push(tokens.length);
    tokens.forEach((token, i) => this.#rows[i]!.history.push(token));
    return this.#rows.map((row) => this.lm(row.sentence, row.history));
  }

  select(rows: readonly number[]): void {
    this.#rows = rows.map((r) => ({ sentence: this.#rows[r]!.sentence, history: [...this.#rows[r]!.history] }));
  }
}

/** Log-probabilities → logits (the loops only see logits; log-softmax of these gives the probabilities back). */
export function logits(probabilities: readonly number[]): Float32Array {
  return Float32Array.from(probabilities, (p) => Math.log(p));
}

/** A fixed random distribution over `vocab` tokens for every (sentence, history), from a string hash. */
export function randomLanguageModel(vocab: number, seed: number): LanguageModel {
  return (sentence, history) => {
    let h = 2166136261 ^ seed;
    for (const c of `${sentence}|${history.join(',')}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    const out = new Float32Array(vocab);
    for (let i = 0; i < vocab; i++) {
      h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
      out[i] = ((h % 10_000) / 10_000) * 4;
    }
    return out;
  };
}
