/**
 * Greedy decoding of a batch: every row takes its most likely next token. A row that emits </s> or reaches its
 * length cap leaves the batch at once (its cache rows are dropped), so long sentences do not make short ones pay for
 * steps they no longer need, and a finished row never feeds a token back in.
 */
import type { DecoderRun } from './seq2seq-model.ts';

/** What one sentence asks of the decoder. */
export interface SequenceSpec {
  /** The target-language token forced at the first position (NLLB / M2M100 name the output language this way). */
  forcedBos: number;
  /** Most tokens to generate, forced language token and </s> included. */
  maxNewTokens: number;
}

/** Token ids shared by every sentence of a run. */
export interface SpecialIds {
  decoderStartId: number;
  eosId: number;
  /** When set, the last position a sentence can reach is forced to this token (transformers' forced_eos). */
  forcedEosId?: number | undefined;
}

/** Index of the largest value; the first on ties, as transformers.js picks. */
export function argmax(values: Float32Array): number {
  let best = 0;
  let bestValue = values[0] ?? -Infinity;
  for (let i = 1; i < values.length; i++) {
    if (values[i]! > bestValue) {
      bestValue = values[i]!;
      best = i;
    }
  }
  return best;
}

/**
 * The token a sentence must take at this position regardless of the model, if any: the language token first, the
 * forced end-of-sequence last.
 */
export function forcedToken(produced: number, spec: SequenceSpec, ids: SpecialIds): number | undefined {
  if (produced === 0) return spec.forcedBos;
  if (ids.forcedEosId !== undefined && produced === spec.maxNewTokens - 1) return ids.forcedEosId;
  return undefined;
}

/**
 * Decodes each sentence of `run` (row i is sentence i) and returns its generated tokens: the language token first,
 * then the text, then </s> unless the length cap came first.
 */
export async function greedyDecode(
  run: DecoderRun,
  specs: readonly SequenceSpec[],
  ids: SpecialIds,
  signal?: AbortSignal,
): Promise<number[][]> {
  const output = specs.map((): number[] => []);
  /** The sentence each run row belongs to. */
  let active = specs.map((_, i) => i);
  let inputs = active.map(() => ids.decoderStartId);
  while (active.length > 0) {
    signal?.throwIfAborted();
    const logits = await run.step(inputs);
    const keep: number[] = [];
    const next: number[] = [];
    active.forEach((sentence, row) => {
      const produced = output[sentence]!;
      const spec = specs[sentence]!;
      const token = forcedToken(produced.length, spec, ids) ?? argmax(logits[row]!);
      produced.push(token);
      if (token !== ids.eosId && produced.length < spec.maxNewTokens) {
        keep.push(row);
        next.push(token);
      }
    });
    if (keep.length > 0) run.select(keep);
    active = keep.map((row) => active[row]!);
    inputs = next;
  }
  return output;
}
