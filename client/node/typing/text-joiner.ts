/**
 * Turns each final caption into the exact text to type after what dictation typed before: a space between
 * utterances (none before punctuation or after a line break), a capital at the start of a sentence, spoken
 * punctuation ("comma", "new line"…) for engines that do not punctuate (pocketsphinx), and English "i" as "I".
 * Engines that already punctuate and capitalise (Whisper) pass through unchanged: no rule lowercases anything.
 */

export interface JoinOptions {
  /** The spoken language; English-only rules apply to `en`. */
  language: string;
  /** Replace spoken punctuation words ("comma", "period", "question mark", "new line", …) with the marks. */
  spokenPunctuation: boolean;
  /** Capitalise the first letter of each sentence. */
  capitalize: boolean;
}

export const DEFAULT_JOIN: JoinOptions = { language: 'en', spokenPunctuation: true, capitalize: true };

/** Longest first, so "new paragraph" wins over "new line" and "full stop" over "stop"-less forms. */
const SPOKEN_EN: [RegExp, string][] = [
  [/\bnew paragraph\b/gi, '\n\n'],
  [/\bnew line\b/gi, '\n'],
  [/\b(?:question mark)\b/gi, '?'],
  [/\b(?:exclamation (?:mark|point))\b/gi, '!'],
  [/\b(?:full stop|period)\b/gi, '.'],
  [/\bsemicolon\b/gi, ';'],
  [/\bcolon\b/gi, ':'],
  [/\bcomma\b/gi, ','],
];

const CLOSING = /^[,.;:!?)\]}%…]/;
const SENTENCE_END = /[.!?…]["')\]]*\s*$|\n\s*$/;

export class TextJoiner {
  readonly #options: JoinOptions;
  /** The tail of what dictation has typed (enough to decide spacing and capitals), or '' at the start. */
  #before = '';

  constructor(options: Partial<JoinOptions> = {}) {
    this.#options = { ...DEFAULT_JOIN, ...options };
  }

  /** What was typed most recently, as the joiner sees it (for undo to restore). */
  get context(): string {
    return this.#before;
  }

  set context(text: string) {
    this.#before = text.slice(-64);
  }

  /** Forgets the context: the next final starts a sentence (a new dictation, the caret somewhere else). */
  reset(): void {
    this.#before = '';
  }

  /** The text to type for this final ('' when it has nothing to type), and remembers it as context. */
  next(final: string): string {
    let text = final.replace(/\s+/g, ' ').trim();
    if (!text) return '';
    const english = this.#options.language.split('-')[0] === 'en';
    if (english && this.#options.spokenPunctuation) {
      for (const [pattern, mark] of SPOKEN_EN) text = text.replace(pattern, mark);
      // Spoken marks hug the word before them ("hello comma world" → "hello, world"); line breaks take no
      // spaces around them. (Only here: French, for one, puts a space before "!" and "?".)
      text = text.replace(/ +([,.;:!?])/g, '$1').replace(/ *\n */g, '\n');
    }
    if (english) text = text.replace(/\bi\b(?=$|[\s,.;:!?'’])/g, 'I');
    if (this.#options.capitalize) text = this.#capitalizeSentences(text);
    const needsSpace =
      this.#before !== '' && !/\s$/.test(this.#before) && !CLOSING.test(text) && !text.startsWith('\n');
    const out = needsSpace ? ` ${text}` : text;
    this.context = this.#before + out;
    return out;
  }

  #capitalizeSentences(text: string): string {
    const atStart = this.#before === '' || SENTENCE_END.test(this.#before);
    let out = atStart ? upperFirst(text) : text;
    out = out.replace(
      /([.!?…]["')\]]*\s+|\n+)(\p{Ll})/gu,
      (_m, gap: string, letter: string) => gap + letter.toUpperCase(),
    );
    return out;
  }
}

function upperFirst(text: string): string {
  return text.replace(/^([^\p{L}]*)(\p{Ll})/u, (_m, lead: string, letter: string) => lead + letter.toUpperCase());
}
