/**
 * A least-recently-used cache of recent translations. Live captions repeat themselves (short finals like "yes",
 * "thank you", a speaker's catchphrase; several sessions reading the same talk), and a hit costs nothing.
 */
export class TranslationCache {
  readonly #capacity: number;
  /** Map iteration order is insertion order: the first key is the least recently used. */
  readonly #entries = new Map<string, string>();
  hits = 0;
  misses = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The key of a text between two languages (as the model's language token ids, so `pt` and `pt-BR` share). */
  static key(sourceId: number, targetId: number, text: string): string {
    return `${sourceId}:${targetId}:${text}`;
  }

  get(key: string): string | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: string): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}
