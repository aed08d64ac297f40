/**
 * The merged decoder's key/value cache for a batch of rows: self-attention keys and values that grow by one position
 * per step, and cross-attention keys and values computed once from the encoder output. Rows can be selected, which
 * both drops finished sentences from a greedy batch and reorders (and duplicates) beams.
 */
import { gatherRows, type Feeds, type Tensor } from '../../backend/onnx.ts';

/** Rows of a float32 or float16 tensor whose first dimension is the batch (in its own precision). */
export { gatherRows };

/** Whether `rows` selects every row, in order (nothing to copy). */
export function isIdentity(rows: readonly number[], count: number): boolean {
  return rows.length === count && rows.every((row, i) => row === i);
}

export class KvCache {
  /** `past_key_values.{i}.decoder.{key,value}` → tensor [rows, heads, steps, headDim]. */
  #self = new Map<string, Tensor>();
  /** `past_key_values.{i}.encoder.{key,value}` → tensor [rows, heads, sourceLength, headDim]. */
  #cross = new Map<string, Tensor>();

  /** Whether a step has run (the merged decoder's `use_cache_branch`). */
  get filled(): boolean {
    return this.#cross.size > 0;
  }

  /** The feeds for the next step (empty before the first). */
  feeds(): Feeds {
    return Object.fromEntries([...this.#self, ...this.#cross]);
  }

  /**
   * Takes a step's `present.*` outputs. Cross-attention values are kept from the first step only: later steps
   * return them unchanged (or not at all), so copying them again would be wasted work.
   */
  update(outputs: Record<string, Tensor>): void {
    const firstStep = !this.filled;
    for (const [name, tensor] of Object.entries(outputs)) {
      if (!name.startsWith('present.')) continue;
      const past = name.replace(/^present\./, 'past_key_values.');
      if (name.includes('.decoder.')) this.#self.set(past, tensor);
      else if (firstStep) this.#cross.set(past, tensor);
    }
  }

  /** Keeps rows `rows` (in that order, repeats allowed) of every cached tensor. */
  select(rows: readonly number[]): void {
    for (const cache of [this.#self, this.#cross]) {
      for (const [name, tensor] of cache) cache.set(name, gatherRows(tensor, rows));
    }
  }
}
