/**
 * The decoding loop: many utterances (from any sessions) decoded together, one decoder call per step for all of
 * them. At temperature 0 each utterance is decoded greedily or by beam search; above it, `bestOf` candidates are
 * sampled. Candidates of an utterance are rows of the same batch; a row that ends (or an utterance whose beams are
 * complete) leaves the batch, so the batch shrinks as the work does. Every row's result depends only on its own
 * input: decoding it alone gives the same tokens.
 */
import { EarshotError } from '../../../shared/errors.ts';
import type { Tensor } from '../../backend/onnx.ts';
import { gatherRows } from '../../backend/onnx.ts';
import { applyRules, argmax, logSumExp, topK, type LogitRules } from './logit-rules.ts';
import { logitsAt, selectCache, type KvCache, type WhisperModel } from './model.ts';
import { mulberry32 } from '../../../shared/random.ts';

export interface DecodeInput {
  /** Prompt tokens; all inputs of one call have prompts of the same length. */
  prompt: readonly number[];
  /** Index of this utterance's row in the encoder states. */
  encoderRow: number;
  /** Position of `<|startoftranscript|>` in the prompt (its logits give the no-speech probability). */
  sotIndex: number;
  /** Seeds this utterance's sampling. */
  seed: number;
}

export interface DecodeSettings {
  temperature: number;
  /** Beams at temperature 0 (1 = greedy). */
  beamSize: number;
  /** Samples above temperature 0. */
  bestOf: number;
  maxNewTokens: number;
  rules: LogitRules;
}

export interface DecodeResult {
  /** Generated tokens, without the prompt and without end-of-text. */
  tokens: number[];
  /** Sum of the tokens' log-probabilities (end-of-text included). */
  sumLogprob: number;
  avgLogprob: number;
  noSpeechProb: number;
  temperature: number;
}

interface Row {
  input: number;
  generated: number[];
  sumLogprob: number;
  rng: () => number;
}

/** Decodes every input; one result per input, in order. */
export async function decode(
  model: WhisperModel,
  encoderStates: Tensor,
  inputs: readonly DecodeInput[],
  settings: DecodeSettings,
  signal?: AbortSignal,
): Promise<DecodeResult[]> {
  if (inputs.length === 0) return [];
  const { eot } = settings.rules.specials;
  const group = settings.temperature === 0 ? settings.beamSize : settings.bestOf;
  const beam = settings.temperature === 0 && settings.beamSize > 1;
  const promptLength = inputs[0]!.prompt.length;
  const maxNew = Math.min(settings.maxNewTokens, model.dims.maxTargetPositions - promptLength);
  if (maxNew < 1)
    throw new EarshotError(
      'stt_failed',
      `prompt of ${promptLength} tokens leaves no room in a ${model.dims.maxTargetPositions}-token context`,
    );

  // The prompt is the same for every candidate of an utterance: run it once per utterance, then copy its cache.
  const states = gatherRows(
    encoderStates,
    inputs.map((i) => i.encoderRow),
  );
  const first = await model.prefill(
    inputs.map((i) => i.prompt),
    states,
  );
  const noSpeech = inputs.map((input, i) =>
    probability(logitsAt(first.logits, i, input.sotIndex), settings.rules.specials.noSpeech),
  );
  const expand = inputs.flatMap((_, i) => Array<number>(group).fill(i));
  let cache: KvCache = selectCache(first.cache, expand);
  let logitRow = (r: number) => logitsAt(first.logits, expand[r]!, promptLength - 1);
  let rows: Row[] = expand.map((input, r) => ({
    input,
    generated: [],
    sumLogprob: 0,
    rng: mulberry32(inputs[input]!.seed * 7919 + (r % group) + 1),
  }));
  const finished: Map<string, number>[] = inputs.map(() => new Map()); // per input: sequence → sum logprob
  const finishedRows: Row[][] = inputs.map(() => []);

  for (let step = 0; step < maxNew && rows.length > 0; step++) {
    if (signal?.aborted) throw new EarshotError('stt_failed', 'transcription aborted');
    // Masked logits and their log-normalizer: log-probabilities are logit - lse, computed only where needed.
    const scored = rows.map((row, r) => {
      const logits = Float32Array.from(logitRow(r));
      applyRules(logits, row.generated, settings.rules);
      return { logits, lse: logSumExp(logits) };
    });
    let next: Row[] = [];
    let sources: number[] = [];
    if (beam) {
      ({ next, sources } = beamStep(rows, scored, settings.beamSize, eot, finished));
    } else {
      rows.forEach((row, r) => {
        const { logits, lse } = scored[r]!;
        const token = settings.temperature === 0 ? argmax(logits) : sample(logits, settings.temperature, row.rng);
        const advanced = {
          ...row,
          generated: [...row.generated, token],
          sumLogprob: row.sumLogprob + logits[token]! - lse,
        };
        if (token === eot) finishedRows[row.input]!.push(advanced);
        else {
          next.push(advanced);
          sources.push(r);
        }
      });
    }
    rows = next;
    if (rows.length === 0 || step === maxNew - 1) break;
    const stepped = await model.step(
      rows.map((r) => r.generated.at(-1)!),
      selectCache(cache, sources),
    );
    cache = stepped.cache;
    logitRow = (r: number) => logitsAt(stepped.logits, r, 0);
  }

  // Rows still open at the length limit compete as they are.
  for (const row of rows) {
    if (beam) {
      const done = finished[row.input]!;
      if (done.size < settings.beamSize) done.set(row.generated.join(','), row.sumLogprob);
    } else finishedRows[row.input]!.push(row);
  }
  return inputs.map((_, i) => {
    const candidates = beam
      ? [...finished[i]!].map(([seq, sumLogprob]) => ({ generated: seq ? seq.split(',').map(Number) : [], sumLogprob }))
      : finishedRows[i]!;
    const best = rank(candidates, eot);
    const tokens = best.generated.filter((t, k, all) => !(t === eot && k === all.length - 1));
    return {
      tokens,
      sumLogprob: best.sumLogprob,
      avgLogprob: best.sumLogprob / (tokens.length + 1),
      noSpeechProb: noSpeech[i]!,
      temperature: settings.temperature,
    };
  });
}

/**
 * One beam-search step (openai/whisper's BeamSearchDecoder): each beam proposes its beamSize+1 likeliest
 * continuations; per utterance the best beamSize unfinished ones survive and finished ones are collected until
 * there are beamSize of them, which completes the utterance.
 */
function beamStep(
  rows: Row[],
  scored: { logits: Float32Array; lse: number }[],
  beamSize: number,
  eot: number,
  finished: Map<string, number>[],
): { next: Row[]; sources: number[] } {
  const next: Row[] = [];
  const sources: number[] = [];
  const byInput = new Map<number, number[]>();
  rows.forEach((row, r) => byInput.set(row.input, [...(byInput.get(row.input) ?? []), r]));
  for (const [input, members] of byInput) {
    const scores = new Map<string, { score: number; source: number; generated: number[] }>();
    for (const r of members) {
      const row = rows[r]!;
      const { logits, lse } = scored[r]!;
      for (const token of topK(logits, beamSize + 1)) {
        const generated = [...row.generated, token];
        const key = generated.join(',');
        if (!scores.has(key)) scores.set(key, { score: row.sumLogprob + logits[token]! - lse, source: r, generated });
      }
    }
    const newlyFinished: [string, number][] = [];
    let saved = 0;
    for (const [key, c] of [...scores].sort((a, b) => b[1].score - a[1].score)) {
      if (c.generated.at(-1) === eot) newlyFinished.push([key, c.score]);
      else if (saved < beamSize) {
        next.push({ input, generated: c.generated, sumLogprob: c.score, rng: rows[c.source]!.rng });
        sources.push(c.source);
        saved++;
      }
    }
    const done = finished[input]!;
    for (const [key, score] of newlyFinished) if (done.size < beamSize) done.set(key, score);
    if (done.size >= beamSize) {
      // This utterance is complete: its beams leave the batch.
      while (next.length > 0 && next.at(-1)!.input === input) {
        next.pop();
        sources.pop();
      }
    }
  }
  return { next, sources };
}

/** Whisper's maximum-likelihood ranking: the highest log-probability per token (end-of-text not counted). */
function rank(
  candidates: { generated: number[]; sumLogprob: number }[],
  eot: number,
): { generated: number[]; sumLogprob: number } {
  let best = candidates[0] ?? { generated: [], sumLogprob: -Infinity };
  let bestScore = -Infinity;
  for (const c of candidates) {
    const length = c.generated.filter((t) => t !== eot).length;
    const score = c.sumLogprob / Math.max(1, length);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

function probability(logits: Float32Array, token: number): number {
  return Math.exp(logits[token]! - logSumExp(logits));
}

/** Samples from softmax(logits / temperature). */
function sample(logits: Float32Array, temperature: number, rng: () => number): number {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let total = 0;
  const weights = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp((logits[i]! - max) / temperature);
  let u = rng() * total;
  for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) <= 0 && weights[i]! > 0) return i;
  return argmax(logits);
}
