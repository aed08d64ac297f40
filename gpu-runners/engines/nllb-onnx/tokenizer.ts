/**
 * The NLLB / M2M100 tokenizer, read from a Hugging Face `tokenizer.json` (sentencepiece BPE converted by
 * transformers): added tokens split out first, the Precompiled normalizer, the Metaspace pre-tokenizer (spaces become
 * ▁, words start at each ▁), BPE per word, then the post-processor's template with the source language token in place
 * of the template's language (`eng_Latn … </s>` becomes `deu_Latn … </s>`). The source language is an argument of
 * every call: nothing about one request leaks into the next.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EarshotError } from '../../../shared/errors.ts';
import { BpeModel, type BpeConfig } from './bpe.ts';
import { LANGUAGE_TOKEN, type LanguageScheme } from './languages.ts';
import { createNormalizer, type Normalize } from './normalizer.ts';

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
  normalized?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
}

type TemplatePiece = { SpecialToken: { id: string } } | { Sequence: { id: 'A' | 'B' } };

interface MetaspaceConfig {
  type: string;
  replacement?: string;
  prepend_scheme?: 'always' | 'first' | 'never';
  add_prefix_space?: boolean;
  split?: boolean;
}

/** The parts of tokenizer.json this tokenizer reads. */
export interface TokenizerJson {
  added_tokens: AddedToken[];
  normalizer?: Parameters<typeof createNormalizer>[0];
  pre_tokenizer?: MetaspaceConfig | null;
  post_processor?: { type: string; single?: TemplatePiece[] } | null;
  decoder?: MetaspaceConfig | null;
  model: BpeConfig;
}

/** The parts of tokenizer_config.json this tokenizer reads. */
export interface TokenizerConfigJson {
  tokenizer_class?: string;
  clean_up_tokenization_spaces?: boolean;
  model_max_length?: number;
}

const META = '▁';

/** transformers' `clean_up_tokenization`: English-style spacing before punctuation and contractions. */
function cleanUpSpaces(text: string): string {
  return text
    .replace(/ \./g, '.')
    .replace(/ \?/g, '?')
    .replace(/ !/g, '!')
    .replace(/ ,/g, ',')
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}

export class NllbTokenizer {
  /** Which language tokens the vocabulary uses. */
  readonly scheme: LanguageScheme;
  readonly eosId: number;
  readonly padId: number;
  /** The longest encoded input (tokenizer_config's `model_max_length`). */
  readonly maxLength: number;
  readonly #bpe: BpeModel;
  readonly #normalize: Normalize;
  readonly #pieces: string[] = [];
  readonly #added = new Map<string, AddedToken>();
  readonly #special = new Set<number>();
  readonly #rawSplitter: RegExp | undefined;
  readonly #normalizedSplitter: RegExp | undefined;
  readonly #prepend: 'always' | 'first' | 'never';
  readonly #splitWords: boolean;
  readonly #template: TemplatePiece[];
  readonly #cleanUp: boolean;

  constructor(json: TokenizerJson, config: TokenizerConfigJson = {}) {
    if (json.model.type !== 'BPE')
      throw new EarshotError('engine_unavailable', `tokenizer.json: model type ${json.model.type} is not BPE`);
    const pre = json.pre_tokenizer;
    if (pre?.type !== 'Metaspace')
      throw new EarshotError(
        'engine_unavailable',
        `tokenizer.json: pre-tokenizer ${pre?.type ?? 'none'} is not Metaspace`,
      );
    if ((pre.replacement ?? META) !== META)
      throw new EarshotError('engine_unavailable', 'tokenizer.json: Metaspace replacement is not ▁');
    this.#bpe = new BpeModel(json.model);
    this.#normalize = createNormalizer(json.normalizer);
    this.#prepend = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
    this.#splitWords = pre.split ?? true;
    for (const [piece, id] of this.#bpe.entries()) this.#pieces[id] = piece;
    for (const token of json.added_tokens) {
      this.#added.set(token.content, token);
      this.#pieces[token.id] = token.content;
      if (token.special) this.#special.add(token.id);
    }
    const tokens = [...this.#added.values()];
    // Special tokens match the raw text; the others (NLLB's <mask>) match after normalization, as in HF tokenizers.
    this.#rawSplitter = splitter(tokens.filter((t) => !(t.normalized ?? !t.special)));
    this.#normalizedSplitter = splitter(tokens.filter((t) => t.normalized ?? !t.special));
    this.#template =
      json.post_processor?.type === 'TemplateProcessing'
        ? (json.post_processor.single ?? [])
        : [{ Sequence: { id: 'A' } }];
    const cls = config.tokenizer_class ?? '';
    this.scheme = cls.startsWith('M2M100')
      ? 'm2m100'
      : cls.startsWith('Nllb')
        ? 'nllb'
        : tokens.some((t) => LANGUAGE_TOKEN.m2m100.test(t.content))
          ? 'm2m100'
          : 'nllb';
    this.eosId = this.#requireId('</s>');
    this.padId = this.#requireId('<pad>');
    this.maxLength = config.model_max_length && config.model_max_length < 1e6 ? config.model_max_length : 1024;
    this.#cleanUp = config.clean_up_tokenization_spaces ?? true;
  }

  /** Reads `tokenizer.json` and `tokenizer_config.json` from a model directory. */
  static async load(dir: string): Promise<NllbTokenizer> {
    const read = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8')) as unknown;
    const json = (await read('tokenizer.json')) as TokenizerJson;
    const config = (await read('tokenizer_config.json').catch(() => ({}))) as TokenizerConfigJson;
    return new NllbTokenizer(json, config);
  }

  /** The id of a token (piece or added token). */
  tokenId(token: string): number | undefined {
    return this.#added.get(token)?.id ?? this.#bpe.id(token);
  }

  /** The language tokens this vocabulary has, e.g. `spa_Latn` or `__es__`. */
  languageTokens(): string[] {
    return [...this.#added.values()]
      .filter((t) => t.special && LANGUAGE_TOKEN[this.scheme].test(t.content))
      .map((t) => t.content);
  }

  /**
   * Encoder input ids for `text` in the language whose token id is `sourceId`: the template's special tokens around
   * the text's tokens. Over-long text is cut so that the whole, special tokens included, fits `maxLength`.
   */
  encode(text: string, sourceId: number): number[] {
    const content = this.#tokenize(text);
    const specials = this.#template.filter((p) => 'SpecialToken' in p).length;
    content.length = Math.min(content.length, Math.max(0, this.maxLength - specials));
    let languageReplaced = false;
    return this.#template.flatMap((piece) => {
      if ('Sequence' in piece) return piece.Sequence.id === 'A' ? content : [];
      const token = piece.SpecialToken.id;
      if (!languageReplaced && LANGUAGE_TOKEN[this.scheme].test(token)) {
        languageReplaced = true;
        return [sourceId];
      }
      return [this.#requireId(token)];
    });
  }

  /** Text of generated ids: special tokens (language codes, </s>) dropped, ▁ back to spaces. */
  decode(ids: readonly number[]): string {
    const pieces = ids.filter((id) => !this.#special.has(id)).map((id) => this.#pieces[id] ?? '');
    const text = pieces.join('').replaceAll(META, ' ');
    const trimmed = text.startsWith(' ') ? text.slice(1) : text;
    return this.#cleanUp ? cleanUpSpaces(trimmed) : trimmed;
  }

  #tokenize(text: string): number[] {
    const ids: number[] = [];
    splitAround(text, this.#rawSplitter, this.#added).forEach((section, index) => {
      if (typeof section !== 'string') return void ids.push(section.id);
      const normalized = this.#normalize(section);
      for (const part of splitAround(normalized, this.#normalizedSplitter, this.#added)) {
        if (typeof part !== 'string') ids.push(part.id);
        else for (const word of this.#preTokenize(part, index)) ids.push(...this.#bpe.encodeWord(word));
      }
    });
    return ids;
  }

  /** Metaspace: spaces become ▁, a ▁ is prepended per the scheme, and each word starts at a ▁. */
  #preTokenize(text: string, sectionIndex: number): string[] {
    let spaced = text.replaceAll(' ', META);
    const prepend = this.#prepend === 'always' || (this.#prepend === 'first' && sectionIndex === 0);
    if (prepend && !spaced.startsWith(META)) spaced = META + spaced;
    if (!this.#splitWords) return [spaced];
    return spaced.split(/(?=▁)/u).filter((w) => w.length > 0);
  }

  #requireId(token: string): number {
    const id = this.tokenId(token);
    if (id === undefined) throw new EarshotError('engine_unavailable', `tokenizer.json has no "${token}" token`);
    return id;
  }
}

/** A regex matching any of the tokens, longest first (so `<mask>` never loses to a shorter prefix). */
function splitter(tokens: readonly AddedToken[]): RegExp | undefined {
  if (tokens.length === 0) return undefined;
  const escaped = tokens
    .map((t) => t.content)
    .sort((a, b) => b.length - a.length)
    .map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(${escaped.join('|')})`, 'u');
}

/** Splits text into plain sections and added tokens, honouring each token's lstrip / rstrip of the spaces beside it. */
function splitAround(
  text: string,
  pattern: RegExp | undefined,
  added: ReadonlyMap<string, AddedToken>,
): (string | AddedToken)[] {
  if (!pattern) return text ? [text] : [];
  const parts: (string | AddedToken)[] = text.split(pattern).map((part, i) => (i % 2 === 1 ? added.get(part)! : part));
  parts.forEach((part, i) => {
    if (typeof part === 'string') return;
    const before = parts[i - 1];
    const after = parts[i + 1];
    if (part.lstrip && typeof before === 'string') parts[i - 1] = before.trimEnd();
    if (part.rstrip && typeof after === 'string') parts[i + 1] = after.trimStart();
  });
  return parts.filter((part) => part !== '');
}
