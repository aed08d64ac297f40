/**
 * Slow, obvious reference decoders for tests, written from openai/whisper's decoding.py: no KV cache (each step
 * re-runs the decoder over the whole sequence), no batching, no row compaction. Greedy with Whisper's timestamp
 * rules (the oracle for timestamps, where transformers.js deviates), and beam search (transformers.js has none).
 */
import type { Tensor } from '../../../gpu-runners/backend/onnx.ts';
import { logitsAt, type WhisperModel } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import type { SpecialTokens } from '../../../gpu-runners/engines/whisper-onnx/tokenizer.ts';

export interface ReferenceSetup {
  model: WhisperModel;
  /** Encoder states of one utterance [1, 1500, d]. */
  states: Tensor;
  prompt: number[];
  specials: SpecialTokens;
  timestamps: boolean;
  maxNew: number;
}

async function nextLogits(s: ReferenceSetup, sequence: number[]): Promise<number[]> {
  const { logits } = await s.model.prefill([sequence], s.states);
  return Array.from(logitsAt(logits, 0, sequence.length - 1));
}

/** openai/whisper: SuppressBlank + SuppressTokens + ApplyTimestampRules, on a plain array. */
function filter(s: ReferenceSetup, logits: number[], sampled: number[]): number[] {
  const l = [...logits];
  const { eot, noTimestamps, timestampBegin: tb } = s.specials;
  const ban = (from: number, to = from + 1) => {
    for (let i = from; i < Math.min(to, l.length); i++) l[i] = -Infinity;
  };
  for (const t of s.model.generation.suppressTokens) ban(t);
  if (sampled.length === 0) for (const t of s.model.generation.beginSuppressTokens) ban(t);
  if (!s.timestamps) return l;
  ban(noTimestamps);
  const last = sampled.length >= 1 && sampled.at(-1)! >= tb;
  const penultimate = sampled.length < 2 || sampled.at(-2)! >= tb;
  if (last) {
    if (penultimate) ban(tb, l.length);
    else ban(0, eot);
  }
  const stamps = sampled.filter((t) => t >= tb);
  if (stamps.length > 0) ban(tb, last && !penultimate ? stamps.at(-1)! : stamps.at(-1)! + 1);
  if (sampled.length === 0) {
    ban(0, tb);
    ban(tb + (s.model.generation.maxInitialTimestampIndex ?? 50) + 1, l.length); // the export's bound, 1.0 s by default
  }
  const logprobs = logSoftmax(l);
  const lse = (xs: number[]) => {
    const m = Math.max(...xs);
    return m === -Infinity ? m : m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
  };
  if (lse(logprobs.slice(tb)) > Math.max(...logprobs.slice(0, tb))) ban(0, tb);
  return l;
}

function logSoftmax(l: number[]): number[] {
  const m = Math.max(...l);
  const z = Math.log(l.reduce((a, x) => a + Math.exp(x - m), 0)) + m;
  return l.map((x) => x - z);
}

/** Greedy tokens after the prompt (end-of-text dropped). */
export async function referenceGreedy(s: ReferenceSetup): Promise<number[]> {
  const sampled: number[] = [];
  for (let i = 0; i < s.maxNew; i++) {
    const l = filter(s, await nextLogits(s, [...s.prompt, ...sampled]), sampled);
    const token = l.indexOf(Math.max(...l));
    if (token === s.specials.eot) break;
    sampled.push(token);
  }
  return sampled;
}

/** openai/whisper's BeamSearchDecoder (patience 1) and MaximumLikelihoodRanker (no length penalty). */
export async function referenceBeam(s: ReferenceSetup, beamSize: number): Promise<number[]> {
  const { eot } = s.specials;
  let beams: { tokens: number[]; score: number }[] = [{ tokens: [], score: 0 }];
  const finished = new Map<string, number>();
  for (let step = 0; step < s.maxNew && finished.size < beamSize; step++) {
    const candidates = new Map<string, { tokens: number[]; score: number }>();
    for (const beam of beams) {
      const logprobs = logSoftmax(filter(s, await nextLogits(s, [...s.prompt, ...beam.tokens]), beam.tokens));
      const top = logprobs
        .map((v, i) => [v, i] as const)
        .filter(([v]) => v > -Infinity)
        .sort((a, b) => b[0] - a[0])
        .slice(0, beamSize + 1);
      for (const [logprob, token] of top) {
        const tokens = [...beam.tokens, token];
        if (!candidates.has(tokens.join())) candidates.set(tokens.join(), { tokens, score: beam.score + logprob });
      }
    }
    const next: typeof beams = [];
    for (const c of [...candidates.values()].sort((a, b) => b.score - a.score)) {
      if (c.tokens.at(-1) === eot) {
        if (finished.size < beamSize) finished.set(c.tokens.join(), c.score);
      } else if (next.length < beamSize) next.push(c);
    }
    beams = next;
  }
  for (const beam of beams) if (finished.size < beamSize) finished.set(beam.tokens.join(), beam.score);
  let best: number[] = [];
  let bestScore = -Infinity;
  for (const [key, score] of finished) {
    const tokens = key
      .split(',')
      .map(Number)
      .filter((t) => t !== eot);
    if (score / Math.max(1, tokens.length) > bestScore) {
      bestScore = score / Math.max(1, tokens.length);
      best = tokens;
    }
  }
  return best;
}
