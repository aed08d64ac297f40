/**
 * Whisper's tokenizer, read from a Hugging Face tokenizer.json: byte-level BPE (GPT-2's byte↔unicode table) for
 * text, and the special tokens whose ids the decoder's prompt and rules need. Decoding drops special and timestamp
 * tokens; encoding is used for the previous-text prompt.
 */
import { EarshotError } from '../../../shared/errors.ts';

interface TokenizerJson {
  model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

/** GPT-2's reversible map from bytes to printable characters (so BPE never sees whitespace or control bytes). */
function byteToUnicode(): string[] {
  const printable = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  return table;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** GPT-2's pre-tokenization: contractions, letter runs, digit runs, punctuation runs, whitespace. */
const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface SpecialTokens {
  eot: number;
  sot: number;
  translate: number;
  transcribe: number;
  startOfPrev: number;
  noSpeech: number;
  noTimestamps: number;
  /** `<|0.00|>`; every id from here up is a timestamp, 0.02 s apart. */
  timestampBegin: number;
  /** Language code → token id, in the model's order. */
  languages: Map<string, number>;
}

export class WhisperTokenizer {
  readonly specials: SpecialTokens;
  readonly #idToToken: string[] = [];
  readonly #vocab: Map<string, number>;
  readonly #ranks = new Map<string, number>();
  readonly #byteEncoder = byteToUnicode();
  readonly #byteDecoder = new Map(this.#byteEncoder.map((ch, b) => [ch, b]));
  readonly #cache = new Map<string, string[]>();

  constructor(json: TokenizerJson) {
    if (json.model.type !== 'BPE')
      throw new EarshotError('engine_unavailable', `tokenizer.json: expected a BPE model, got ${json.model.type}`);
    this.#vocab = new Map(Object.entries(json.model.vocab));
    for (const [token, id] of this.#vocab) this.#idToToken[id] = token;
    for (const t of json.added_tokens) {
      this.#idToToken[t.id] = t.content;
      this.#vocab.set(t.content, t.id);
    }
    json.model.merges.forEach((m, rank) => this.#ranks.set(Array.isArray(m) ? m.join(' ') : m, rank));
    this.specials = this.#findSpecials();
  }

  #findSpecials(): SpecialTokens {
    const id = (...names: string[]) => {
      for (const name of names) {
        const found = this.#vocab.get(name);
        if (found !== undefined) return found;
      }
      throw new EarshotError(
        'engine_unavailable',
        `tokenizer.json has no ${names.join(' / ')} token: not a Whisper tokenizer`,
      );
    };
    const sot = id('<|startoftranscript|>');
    const translate = id('<|translate|>');
    const languages = new Map<string, number>();
    for (let i = sot + 1; i < translate; i++) {
      const code = /^<\|([a-z]{2,3})\|>$/.exec(this.#idToToken[i] ?? '')?.[1];
      if (code) languages.set(code, i);
    }
    const noTimestamps = id('<|notimestamps|>');
    return {
      eot: id('<|endoftext|>'),
      sot,
      translate,
      transcribe: id('<|transcribe|>'),
      startOfPrev: id('<|startofprev|>'),
      noSpeech: id('<|nospeech|>', '<|nocaptions|>'),
      noTimestamps,
      timestampBegin: noTimestamps + 1,
      languages,
    };
  }

  get vocabSize(): number {
    return this.#idToToken.length;
  }

  /** The text of `ids`, without special or timestamp tokens. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (id >= this.specials.eot) continue;
      for (const ch of this.#idToToken[id] ?? '') {
        const b = this.#byteDecoder.get(ch);
        if (b !== undefined) bytes.push(b);
      }
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  /** Token ids of plain text (no special tokens). */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of text.match(PRETOKENIZE) ?? []) {
      const mapped = Array.from(new TextEncoder().encode(piece), (b) => this.#byteEncoder[b]!).join('');
      for (const token of this.#bpe(mapped)) {
        const id = this.#vocab.get(token);
        if (id === undefined) throw new EarshotError('internal', `tokenizer: no id for "${token}"`);
        ids.push(id);
      }
    }
    return ids;
  }

  /** Applies merges lowest rank first until none applies. */
  #bpe(word: string): string[] {
    const cached = this.#cache.get(word);
    if (cached) return cached;
    let parts = Array.from(word);
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const rank = this.#ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const merged = parts[best]! + parts[best + 1]!;
      parts = [...parts.slice(0, best), merged, ...parts.slice(best + 2)];
    }
    if (this.#cache.size < 10_000) this.#cache.set(word, parts);
    return parts;
  }

  /** The timestamp (seconds) of a timestamp token. */
  timeOf(id: number): number {
    return (id - this.specials.timestampBegin) * 0.02;
  }
}
