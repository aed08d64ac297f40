/**
 * How a runner's batch (sentences from many sessions, for several target languages) becomes model batches: one
 * group per target language, longest sentences together so padding wastes little, at most `maxBatch` per group.
 */

/** A sentence ready for the model. */
export interface EncodedSentence {
  /** Encoder input ids, source language token and </s> included. */
  ids: readonly number[];
  /** The target language's token id. */
  targetId: number;
}

/**
 * Splits sentences into model batches: by target language (in order of first appearance), each sorted longest
 * first and cut into chunks of at most `maxBatch`. Every sentence lands in exactly one batch.
 */
export function planBatches<T extends EncodedSentence>(sentences: readonly T[], maxBatch: number): T[][] {
  const byTarget = new Map<number, T[]>();
  for (const sentence of sentences) {
    const group = byTarget.get(sentence.targetId);
    if (group) group.push(sentence);
    else byTarget.set(sentence.targetId, [sentence]);
  }
  const batches: T[][] = [];
  for (const group of byTarget.values()) {
    // Array.prototype.sort is stable: equal lengths keep their arrival order.
    const sorted = [...group].sort((a, b) => b.ids.length - a.ids.length);
    for (let i = 0; i < sorted.length; i += maxBatch) batches.push(sorted.slice(i, i + maxBatch));
  }
  return batches;
}
