/**
 * What the decoder may emit next. The generation config's suppressed tokens (always) and begin-suppressed tokens
 * (first step) match transformers.js; in timestamp mode Whisper's own timestamp rules (openai/whisper
 * `ApplyTimestampRules`) apply on top: timestamps come in pairs except right before end-of-text, never decrease,
 * the first token is a timestamp no later than `maxInitialTimestamp`, and a timestamp is forced when the timestamps
 * together are likelier than any single text token.
 */
import type { SpecialTokens } from './tokenizer.ts';

export interface LogitRules {
  specials: SpecialTokens;
  suppress: readonly number[];
  beginSuppress: readonly number[];
  timestamps: boolean;
  /** Index of the latest allowed first timestamp (seconds / 0.02). */
  maxInitialTimestampIndex: number;
}

/** Masks (sets to -Infinity) the tokens that may not follow `generated` (the tokens after the prompt), in place. */
export function applyRules(logits: Float32Array, generated: readonly number[], rules: LogitRules): void {
  for (const id of rules.suppress) if (id < logits.length) logits[id] = -Infinity;
  if (generated.length === 0) for (const id of rules.beginSuppress) if (id < logits.length) logits[id] = -Infinity;
  if (rules.timestamps) applyTimestampRules(logits, generated, rules);
}

function applyTimestampRules(logits: Float32Array, generated: readonly number[], rules: LogitRules): void {
  const { eot, noTimestamps, timestampBegin } = rules.specials;
  const vocab = logits.length;
  logits[noTimestamps] = -Infinity;
  const n = generated.length;
  const lastWasTimestamp = n >= 1 && generated[n - 1]! >= timestampBegin;
  const penultimateWasTimestamp = n < 2 || generated[n - 2]! >= timestampBegin;
  if (lastWasTimestamp) {
    if (penultimateWasTimestamp)
      logits.fill(-Infinity, timestampBegin, vocab); // a pair just closed: text (or end) next
    else logits.fill(-Infinity, 0, eot); // an opening timestamp needs its closing one (or end-of-text)
  }
  let lastTimestamp = -1;
  for (const t of generated) if (t >= timestampBegin) lastTimestamp = t;
  if (lastTimestamp >= 0) {
    // Timestamps never decrease; a segment that just opened must have a non-zero length.
    const floor = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1;
    logits.fill(-Infinity, timestampBegin, Math.min(floor, vocab));
  }
  if (n === 0) {
    logits.fill(-Infinity, 0, timestampBegin);
    logits.fill(-Infinity, Math.min(vocab, timestampBegin + rules.maxInitialTimestampIndex + 1), vocab);
  }
  // If the timestamps together are likelier than the best text token, it is time for a timestamp.
  const lse = logSumExp(logits, 0, vocab);
  const timestampLogprob = logSumExp(logits, timestampBegin, vocab) - lse;
  let maxText = -Infinity;
  for (let i = 0; i < timestampBegin; i++) if (logits[i]! > maxText) maxText = logits[i]!;
  if (timestampLogprob > maxText - lse) logits.fill(-Infinity, 0, timestampBegin);
}

/** log Σ exp(x[from..to)), stable; -Infinity when every entry is masked. */
export function logSumExp(x: Float32Array, from = 0, to = x.length): number {
  let max = -Infinity;
  for (let i = from; i < to; i++) if (x[i]! > max) max = x[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = from; i < to; i++) sum += Math.exp(x[i]! - max);
  return max + Math.log(sum);
}

/** The index of the largest entry (the first, on ties). */
export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Indices of the k largest entries, largest first. */
export function topK(x: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i] === -Infinity) continue;
    if (best.length === k && x[i]! <= x[best[k - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && x[best[at - 1]!]! < x[i]!) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}
