/**
 * Language detection as Whisper does it: one decoder pass over `<|startoftranscript|>` alone, and the likeliest
 * language token wins. Rows of many utterances go through one call.
 */
import { gatherRows, type Tensor } from '../../backend/onnx.ts';
import { logSumExp } from './logit-rules.ts';
import { logitsAt, type WhisperModel } from './model.ts';
import type { SpecialTokens } from './tokenizer.ts';

export interface DetectedLanguage {
  language: string;
  /** Probability among the language tokens. */
  probability: number;
}

/** The language of each of `encoderRows` (indices into `encoderStates`), restricted to `allowed` when given. */
export async function detectLanguages(
  model: WhisperModel,
  encoderStates: Tensor,
  encoderRows: readonly number[],
  specials: SpecialTokens,
  allowed?: ReadonlySet<string>,
): Promise<DetectedLanguage[]> {
  if (encoderRows.length === 0) return [];
  const { logits } = await model.prefill(
    encoderRows.map(() => [specials.sot]),
    gatherRows(encoderStates, encoderRows),
  );
  const candidates = [...specials.languages].filter(([code]) => !allowed || allowed.has(code));
  return encoderRows.map((_, row) => {
    const l = logitsAt(logits, row, 0);
    const scores = Float32Array.from(candidates, ([, id]) => l[id]!);
    const lse = logSumExp(scores);
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    return { language: candidates[best]?.[0] ?? 'en', probability: Math.exp(scores[best]! - lse) };
  });
}
