/**
 * The character tokenizer of MMS-TTS / VITS voices, read from the `tokenizer.json` that transformers.js uses for
 * them: a chain of normalizers (Lowercase; Replace by string or regex: strips characters outside the vocabulary and
 * intersperses the blank token between characters, VITS's `add_blank`; Strip), then a split into single characters,
 * each looked up in the vocabulary. Anything else in the file is refused at load, not half-understood.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EarshotError } from '../../shared/errors.ts';

type Pattern = { String: string } | { Regex: string };
type NormalizerConfig =
  | { type: 'Sequence'; normalizers: NormalizerConfig[] }
  | { type: 'Lowercase' }
  | { type: 'Strip'; strip_left?: boolean; strip_right?: boolean }
  | { type: 'Replace'; pattern: Pattern; content: string };

interface TokenizerJson {
  normalizer: NormalizerConfig | null;
  pre_tokenizer: { type: string; pattern?: Pattern; behavior?: string } | null;
  model: { type?: string; vocab: Record<string, number> };
}

type Normalize = (text: string) => string;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function normalizer(config: NormalizerConfig | null): Normalize {
  if (!config) return (t) => t;
  switch (config.type) {
    case 'Sequence': {
      const steps = config.normalizers.map(normalizer);
      return (t) => steps.reduce((s, step) => step(s), t);
    }
    case 'Lowercase':
      return (t) => t.toLowerCase();
    case 'Strip':
      return (t) => {
        let s = t;
        if (config.strip_left ?? true) s = s.trimStart();
        if (config.strip_right ?? true) s = s.trimEnd();
        return s;
      };
    case 'Replace': {
      const regex =
        'Regex' in config.pattern
          ? new RegExp(config.pattern.Regex, 'gu')
          : new RegExp(escapeRegExp(config.pattern.String), 'gu');
      return (t) => t.replace(regex, config.content);
    }
    default:
      throw new EarshotError(
        'engine_unavailable',
        `VITS tokenizer: unsupported normalizer ${JSON.stringify((config as { type: string }).type)}`,
      );
  }
}

export class VitsTokenizer {
  readonly #normalize: Normalize;
  readonly #vocab: Map<string, number>;

  private constructor(json: TokenizerJson) {
    const pre = json.pre_tokenizer;
    // Characters, one token each: how transformers.js's converted VITS tokenizers split.
    if (!pre || pre.type !== 'Split' || !pre.pattern || !('String' in pre.pattern) || pre.pattern.String !== '') {
      throw new EarshotError(
        'engine_unavailable',
        'VITS tokenizer: expected a Split pre-tokenizer into single characters',
      );
    }
    if (json.model.type !== undefined)
      throw new EarshotError('engine_unavailable', `VITS tokenizer: unexpected model type ${json.model.type}`);
    this.#normalize = normalizer(json.normalizer);
    this.#vocab = new Map(Object.entries(json.model.vocab));
  }

  static async load(dir: string): Promise<VitsTokenizer> {
    return new VitsTokenizer(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson);
  }

  /** Token ids of `text`; characters the vocabulary lacks (and the normalizers kept) are dropped. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const char of this.#normalize(text)) {
      const id = this.#vocab.get(char);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }
}
