/**
 * Moonshine's tokenizer, decoding only (the model takes no text prompt): a SentencePiece-style BPE vocabulary from
 * tokenizer.json with `▁` for spaces and `<0xNN>` byte-fallback tokens, decoded as its decoder chain says
 * (Replace ▁ → space, ByteFallback, Fuse, Strip one leading space), special tokens skipped.
 */
import { EarshotError } from '../../../shared/errors.ts';

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number> };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

const BYTE = /^<0x([0-9A-Fa-f]{2})>$/;
const UTF8 = new TextDecoder('utf-8');

export class MoonshineTokenizer {
  readonly #pieces: string[] = [];
  readonly #special = new Set<number>();

  constructor(json: TokenizerJson) {
    const vocab = json.model?.vocab;
    if (!vocab || typeof vocab !== 'object')
      throw new EarshotError('engine_unavailable', 'tokenizer.json has no model.vocab');
    for (const [piece, id] of Object.entries(vocab)) this.#pieces[id] = piece;
    for (const t of json.added_tokens ?? []) {
      this.#pieces[t.id] = t.content;
      if (t.special) this.#special.add(t.id);
    }
  }

  get size(): number {
    return this.#pieces.length;
  }

  /** Text of `ids`, special tokens left out. */
  decode(ids: readonly number[]): string {
    let text = '';
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length === 0) return;
      // Invalid UTF-8 becomes U+FFFD per maximal bad subsequence (the WHATWG decoder), as transformers.js writes it;
      // the Rust tokenizers library writes one per byte of the run instead.
      text += UTF8.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    // Special tokens are dropped first, so byte tokens on both sides of one form a single run.
    for (const id of ids) {
      if (this.#special.has(id)) continue;
      const piece = this.#pieces[id];
      if (piece === undefined) continue;
      const byte = BYTE.exec(piece);
      if (byte) {
        bytes.push(parseInt(byte[1]!, 16));
        continue;
      }
      flush();
      text += piece.replaceAll('\u2581', ' ');
    }
    flush();
    return text.startsWith(' ') ? text.slice(1) : text;
  }
}
