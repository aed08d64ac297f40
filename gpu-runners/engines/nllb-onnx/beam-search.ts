/**
 * Beam search over a batch of sentences, each with up to `beams` running hypotheses as rows of one decoder run.
 * It follows transformers' BeamSearchScorer: each step every sentence looks at its best 2·beams continuations, an
 * </s> among the first `beams` of them finishes a hypothesis (scored log-probability / length^lengthPenalty), the
 * other continuations fill the beam; a sentence is done once it has `beams` finished hypotheses and its best running
 * one can no longer beat the worst of them. A sentence starts with a single beam (its forced language token leaves
 * no choice), so no compute goes into identical copies.
 */
import { forcedToken, type SequenceSpec, type SpecialIds } from './greedy.ts';
import type { DecoderRun } from './seq2seq-model.ts';

export interface BeamOptions {
  beams: number;
  lengthPenalty: number;
}

interface Hypothesis {
  tokens: number[];
  /** Sum of token log-probabilities. */
  logProb: number;
}

interface SentenceSearch {
  spec: SequenceSpec;
  running: Hypothesis[];
  /** Finished hypotheses with their length-normalised scores, best first, at most `beams`. */
  finished: { tokens: number[]; score: number }[];
  done: boolean;
}

interface Candidate {
  beam: number;
  token: number;
  logProb: number;
}

/** The `k` largest values as [index, value], largest first; ties keep the lower index first. */
export function topK(values: Float32Array, k: number): [number, number][] {
  const top: [number, number][] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (top.length === k && v <= top[k - 1]![1]) continue;
    let at = top.length;
    while (at > 0 && top[at - 1]![1] < v) at--;
    top.splice(at, 0, [i, v]);
    if (top.length > k) top.pop();
  }
  return top;
}

/** log Σ exp(values), computed stably. */
export function logSumExp(values: Float32Array): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** Decodes each sentence of `run` (row i is sentence i); returns each sentence's best hypothesis, as greedyDecode does. */
export async function beamSearch(
  run: DecoderRun,
  specs: readonly SequenceSpec[],
  ids: SpecialIds,
  options: BeamOptions,
  signal?: AbortSignal,
): Promise<number[][]> {
  const { beams, lengthPenalty } = options;
  const searches: SentenceSearch[] = specs.map((spec) => ({
    spec,
    running: [{ tokens: [], logProb: 0 }],
    finished: [],
    done: false,
  }));
  const normalise = (logProb: number, length: number) => logProb / length ** lengthPenalty;
  let inputs = specs.map(() => ids.decoderStartId);

  while (searches.some((s) => !s.done)) {
    signal?.throwIfAborted();
    const logits = await run.step(inputs);
    const nextRows: number[] = [];
    const nextInputs: number[] = [];
    let firstRow = 0;
    for (const search of searches) {
      if (search.done) continue;
      const rowsOfSentence = search.running.length;
      const candidates = search.running.flatMap((hyp, beam): Candidate[] => {
        const forced = forcedToken(hyp.tokens.length, search.spec, ids);
        if (forced !== undefined) return [{ beam, token: forced, logProb: hyp.logProb }];
        const row = logits[firstRow + beam]!;
        const lse = logSumExp(row);
        return topK(row, 2 * beams).map(([token, logit]) => ({ beam, token, logProb: hyp.logProb + logit - lse }));
      });
      candidates.sort((a, b) => b.logProb - a.logProb);

      const running: Hypothesis[] = [];
      for (const [rank, c] of candidates.slice(0, 2 * beams).entries()) {
        const tokens = [...search.running[c.beam]!.tokens, c.token];
        if (c.token === ids.eosId || tokens.length >= search.spec.maxNewTokens) {
          // transformers only accepts an </s> ranked among the first `beams`; a capped hypothesis always ends here.
          if (c.token !== ids.eosId || rank < beams)
            addFinished(search, { tokens, score: normalise(c.logProb, tokens.length) }, beams);
          continue;
        }
        running.push({ tokens, logProb: c.logProb });
        nextRows.push(firstRow + c.beam);
        nextInputs.push(c.token);
        if (running.length === beams) break;
      }
      firstRow += rowsOfSentence;

      const best = running[0];
      const worstFinished = search.finished.length >= beams ? search.finished.at(-1)!.score : -Infinity;
      if (!best || worstFinished >= normalise(best.logProb, best.tokens.length)) {
        search.done = true;
        nextRows.splice(nextRows.length - running.length);
        nextInputs.splice(nextInputs.length - running.length);
        search.running = [];
      } else {
        search.running = running;
      }
    }
    if (nextRows.length > 0) run.select(nextRows);
    inputs = nextInputs;
  }
  return searches.map((s) => s.finished[0]?.tokens ?? []);
}

function addFinished(search: SentenceSearch, hyp: { tokens: number[]; score: number }, beams: number): void {
  const at = search.finished.findIndex((f) => f.score < hyp.score);
  search.finished.splice(at < 0 ? search.finished.length : at, 0, hyp);
  if (search.finished.length > beams) search.finished.pop();
}
