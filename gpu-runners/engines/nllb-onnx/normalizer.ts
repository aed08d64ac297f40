/**
 * The `normalizer` of a Hugging Face `tokenizer.json`, for the kinds sentencepiece conversions produce: a Sequence of
 * Precompiled, Replace, Strip and Unicode normal forms.
 */
import { EarshotError } from '../../../shared/errors.ts';

export type Normalize = (text: string) => string;

interface NormalizerConfig {
  type: string;
  normalizers?: NormalizerConfig[];
  pattern?: { String?: string; Regex?: string };
  content?: string;
  strip_left?: boolean;
  strip_right?: boolean;
  left?: boolean;
  right?: boolean;
}

/**
 * sentencepiece's `nmt_nfkc` rules, which the Precompiled normalizer's charsmap encodes: drop control characters,
 * turn the other whitespace (and the ▁ meta symbol itself) into plain spaces, then NFKC. The charsmap is a binary
 * trie of the same mapping; applying the rules directly avoids parsing it and agrees with transformers.js.
 */
function nmtNfkc(text: string): string {
  const cleaned = text
    .replace(/[\u0001-\u0008\u000B\u000E-\u001F\u007F\u008F\u009F]/g, '')
    .replace(
      /[\u0009\u000A\u000C\u000D\u00A0\u1680\u2000-\u200F\u2028\u2029\u202F\u205F\u2581\u3000\uFEFF\uFFFD]/g,
      ' ',
    );
  // NFKC would turn the fullwidth tilde into "~", which sentencepiece's table leaves alone.
  return cleaned
    .split('\uFF5E')
    .map((part) => part.normalize('NFKC'))
    .join('\uFF5E');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds the normalizer a tokenizer.json describes; `null` (no normalizer) is the identity. */
export function createNormalizer(config: NormalizerConfig | null | undefined): Normalize {
  if (!config) return (text) => text;
  switch (config.type) {
    case 'Sequence': {
      const steps = (config.normalizers ?? []).map(createNormalizer);
      return (text) => steps.reduce((t, step) => step(t), text);
    }
    case 'Precompiled':
      return nmtNfkc;
    case 'Replace': {
      const { pattern } = config;
      const source = pattern?.Regex ?? (pattern?.String !== undefined ? escapeRegExp(pattern.String) : undefined);
      if (source === undefined)
        throw new EarshotError('engine_unavailable', 'tokenizer.json: Replace normalizer without a pattern');
      const regex = new RegExp(source, 'gu');
      const content = config.content ?? '';
      return (text) => text.replace(regex, () => content); // a function: `$` in content is literal
    }
    case 'Strip': {
      const left = config.strip_left ?? config.left ?? false;
      const right = config.strip_right ?? config.right ?? false;
      return (text) => (left && right ? text.trim() : left ? text.trimStart() : right ? text.trimEnd() : text);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = config.type;
      return (text) => text.normalize(form);
    }
    default:
      throw new EarshotError('engine_unavailable', `tokenizer.json: unsupported normalizer "${config.type}"`);
  }
}
