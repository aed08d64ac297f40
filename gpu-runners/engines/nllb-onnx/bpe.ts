/**
 * The BPE model of a Hugging Face `tokenizer.json` (`model.type: "BPE"`), as sentencepiece-converted tokenizers
 * (NLLB, M2M100) use it: a word is split into characters, then the adjacent pair with the lowest merge rank is merged
 * until no listed pair remains. Pieces missing from the vocabulary become the unknown token.
 */
import { EarshotError } from '../../../shared/errors.ts';

/** The `model` object of tokenizer.json, as far as BPE reads it. */
export interface BpeConfig {
  type: 'BPE';
  vocab: Record<string, number>;
  /** `"a b"` strings (older files) or `["a", "b"]` pairs (newer ones), most frequent first. */
  merges: (string | [string, string])[];
  unk_token?: string | null;
  /** Consecutive unknown pieces become ONE unknown token, as sentencepiece does. */
  fuse_unk?: boolean;
  byte_fallback?: boolean;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
}

/** Words longer than this are not cached: they are rare, and would let one odd input fill the cache. */
const MAX_CACHED_WORD = 64;
const CACHE_SIZE = 20_000;

export class BpeModel {
  readonly #vocab: Map<string, number>;
  /** Merge rank by `left + "\u0000" + right`; NUL cannot occur inside a piece. */
  readonly #ranks = new Map<string, number>();
  readonly #unk: number | undefined;
  readonly #fuseUnk: boolean;
  readonly #cache = new Map<string, readonly number[]>();

  constructor(config: BpeConfig) {
    if (config.byte_fallback || config.continuing_subword_prefix || config.end_of_word_suffix) {
      throw new EarshotError(
        'engine_unavailable',
        'tokenizer.json: byte fallback and subword affixes are not supported (not used by NLLB or M2M100)',
      );
    }
    this.#vocab = new Map(Object.entries(config.vocab));
    config.merges.forEach((merge, rank) => {
      const [left, right] = typeof merge === 'string' ? splitMerge(merge) : merge;
      const key = `${left}\u0000${right}`;
      if (!this.#ranks.has(key)) this.#ranks.set(key, rank);
    });
    this.#unk = config.unk_token == null ? undefined : this.#vocab.get(config.unk_token);
    this.#fuseUnk = config.fuse_unk ?? false;
  }

  /** The id of a piece, if the vocabulary has it. */
  id(piece: string): number | undefined {
    return this.#vocab.get(piece);
  }

  /** All pieces with their ids. */
  entries(): IterableIterator<[string, number]> {
    return this.#vocab.entries();
  }

  /** Token ids of one pre-tokenized word (e.g. `▁hello`). */
  encodeWord(word: string): readonly number[] {
    const cached = this.#cache.get(word);
    if (cached) return cached;
    const ids = this.#toIds(this.#merge(Array.from(word)));
    if (word.length <= MAX_CACHED_WORD) {
      // Insertion-ordered Map as a cheap FIFO: good enough for a vocabulary-sized working set.
      if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(word, ids);
    }
    return ids;
  }

  /**
   * Greedy lowest-rank merging. Words are short (a handful of characters), so a linear scan per merge beats a
   * priority queue; ties go to the leftmost pair, as in Hugging Face tokenizers.
   */
  #merge(symbols: string[]): string[] {
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.#ranks.get(`${symbols[i]}\u0000${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) return symbols;
      symbols.splice(best, 2, symbols[best]! + symbols[best + 1]!);
    }
  }

  #toIds(pieces: readonly string[]): number[] {
    const ids: number[] = [];
    let lastWasUnk = false;
    for (const piece of pieces) {
      const id = this.#vocab.get(piece);
      if (id !== undefined) {
        ids.push(id);
        lastWasUnk = false;
        continue;
      }
      if (this.#unk === undefined) throw new EarshotError('mt_failed', `tokenizer has no unknown token for "${piece}"`);
      if (!(this.#fuseUnk && lastWasUnk)) ids.push(this.#unk);
      lastWasUnk = true;
    }
    return ids;
  }
}

/** `"a b"` → `["a", "b"]`; the separator is the first space (a piece itself never contains one). */
function splitMerge(merge: string): [string, string] {
  const space = merge.indexOf(' ');
  if (space <= 0) throw new EarshotError('engine_unavailable', `tokenizer.json: malformed merge "${merge}"`);
  return [merge.slice(0, space), merge.slice(space + 1)];
}
