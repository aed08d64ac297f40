/**
 * Guesses for speculative decoding. A live utterance is transcribed again and again as it grows (a partial every
 * 700 ms, then its final), and each result mostly repeats the previous one. The last result for audio that starts
 * the same way (its first half second) is the guess for the next: the decoder checks all guessed tokens in one
 * causal pass and keeps the prefix it agrees with, so accepted tokens cost no decoder step of their own, and a wrong
 * guess costs one pass. Only an optimization: the tokens are the decoder's own greedy choices either way.
 * Bounded (least recently used out), and nothing here is needed for correctness, so losing it loses nothing.
 */

/** Audio shorter than this has no key: too little to tell utterances apart. */
const KEY_SAMPLES = 8000;

export class RecentTranscripts {
  readonly #capacity: number;
  readonly #entries = new Map<number, { samples: number; tokens: number[] }>();

  constructor(capacity = 512) {
    this.#capacity = capacity;
  }

  /** The tokens last remembered for audio starting like `samples`, when that audio was not longer. */
  guess(samples: Float32Array): number[] | undefined {
    const key = keyOf(samples);
    const entry = key === undefined ? undefined : this.#entries.get(key);
    if (!entry || entry.samples > samples.length) return undefined;
    this.#entries.delete(key!);
    this.#entries.set(key!, entry);
    return entry.tokens;
  }

  remember(samples: Float32Array, tokens: readonly number[]): void {
    const key = keyOf(samples);
    if (key === undefined || tokens.length === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { samples: samples.length, tokens: [...tokens] });
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

/** FNV-1a over the first half second, as PCM16 values (what the runner decoded them from). */
function keyOf(samples: Float32Array): number | undefined {
  if (samples.length < KEY_SAMPLES) return undefined;
  let h = 0x811c9dc5;
  for (let i = 0; i < KEY_SAMPLES; i++) h = Math.imul(h ^ (Math.round(samples[i]! * 32768) & 0xffff), 0x01000193);
  return h >>> 0;
}
