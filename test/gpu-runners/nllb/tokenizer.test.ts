/** The NLLB tokenizer against transformers.js's, on the generated tokenizer files; BPE and language codes alone. */
import { AutoTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpeModel } from '../../../gpu-runners/engines/nllb-onnx/bpe.ts';
import { languageToken, NLLB_LANGUAGE_CODES, toFlores } from '../../../gpu-runners/engines/nllb-onnx/languages.ts';
import { NllbTokenizer } from '../../../gpu-runners/engines/nllb-onnx/tokenizer.ts';
import { nllbFixture } from '../../fixtures/models/nllb-fixture.ts';

env.allowRemoteModels = false;
env.localModelPath = '/';

const TEXTS = [
  'The weather is nice today.',
  '¿Dónde está la estación de tren?',
  'Ich hätte gern eine Tasse Kaffee, bitte.',
  '  leading, trailing   and doubled   spaces  ',
  'tabs\tand\nnew lines\r\nand\u00a0no-break spaces',
  'ligatures ﬁ ﬂ, fullwidth ＡＢＣ１２３ and ～',
  'control\u0007 characters\u001f vanish',
  'special tokens in text: </s> eng_Latn <mask> and <mask>here',
  'digits 0123456789 and symbols #$%&*+/<=>@[\\]^_`{|}~',
  'ÁÉÍÓÚ àèìòù âêîôû œ ß ç',
  'a',
  '',
];

type Reference = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;

describe('NllbTokenizer', () => {
  let mine: NllbTokenizer;
  let reference: Reference;
  beforeAll(async () => {
    const dir = nllbFixture('nllb-tiny');
    mine = await NllbTokenizer.load(dir);
    reference = await AutoTokenizer.from_pretrained(dir);
  });

  it('encodes like transformers.js, with the source language first and </s> last', () => {
    const ref = reference as unknown as {
      _build_translation_inputs(t: string[], o: object, k: object): { input_ids: { data: BigInt64Array } };
    };
    for (const text of TEXTS) {
      for (const src of ['eng_Latn', 'deu_Latn']) {
        const expected = Array.from(
          ref._build_translation_inputs([text], {}, { src_lang: src, tgt_lang: 'spa_Latn' }).input_ids.data,
          Number,
        );
        expect({ text, ids: mine.encode(text, mine.tokenId(src)!) }).toEqual({ text, ids: expected });
      }
    }
  });

  it('decodes like transformers.js, dropping special tokens', () => {
    for (const text of TEXTS.filter(Boolean)) {
      const ids = mine.encode(text, mine.tokenId('spa_Latn')!);
      expect(mine.decode(ids)).toBe(reference.decode(ids, { skip_special_tokens: true }));
    }
  });

  it('keeps the source language per call (nothing carries over between calls)', () => {
    const es = mine.encode('hola', mine.tokenId('spa_Latn')!);
    const de = mine.encode('hola', mine.tokenId('deu_Latn')!);
    expect(es[0]).toBe(mine.tokenId('spa_Latn'));
    expect(de[0]).toBe(mine.tokenId('deu_Latn'));
    expect(mine.encode('hola', mine.tokenId('spa_Latn')!)).toEqual(es);
  });

  it('knows the 202 NLLB languages as special tokens', () => {
    expect(mine.scheme).toBe('nllb');
    expect(mine.languageTokens()).toEqual(NLLB_LANGUAGE_CODES);
  });

  it('cuts over-long input to the model limit, keeping the language token and </s>', () => {
    const ids = mine.encode('word '.repeat(2000), mine.tokenId('eng_Latn')!);
    expect(ids).toHaveLength(mine.maxLength);
    expect(ids[0]).toBe(mine.tokenId('eng_Latn'));
    expect(ids.at(-1)).toBe(mine.eosId);
  });
});

describe('BpeModel', () => {
  const bpe = new BpeModel({
    type: 'BPE',
    vocab: { '<unk>': 0, '▁': 1, a: 2, b: 3, '▁a': 4, ab: 5, '▁ab': 6, c: 7 },
    merges: ['a b', '▁ a', '▁ ab'],
    unk_token: '<unk>',
    fuse_unk: true,
  });

  it('applies merges by rank', () => {
    expect(bpe.encodeWord('▁ab')).toEqual([6]); // "a b" first, then "▁ ab"
    expect(bpe.encodeWord('▁abc')).toEqual([6, 7]);
    expect(bpe.encodeWord('aab')).toEqual([2, 5]);
  });

  it('fuses consecutive unknown characters into one <unk>, as sentencepiece does', () => {
    expect(bpe.encodeWord('▁a日本c')).toEqual([4, 0, 7]);
    expect(bpe.encodeWord('日c本')).toEqual([0, 7, 0]);
  });
});

describe('language codes', () => {
  it('maps ISO 639-1 codes (and tags with script or region) to FLORES-200', () => {
    expect(toFlores('es')).toBe('spa_Latn');
    expect(toFlores('de')).toBe('deu_Latn');
    expect(toFlores('zh')).toBe('zho_Hans');
    expect(toFlores('zh-TW')).toBe('zho_Hant');
    expect(toFlores('zh-Hant')).toBe('zho_Hant');
    expect(toFlores('pt-BR')).toBe('por_Latn');
    expect(toFlores('ar')).toBe('arb_Arab');
    expect(toFlores('no')).toBe('nob_Latn');
    expect(toFlores('ks-Deva')).toBe('kas_Deva');
    expect(toFlores('ast')).toBe('ast_Latn'); // ISO 639-3 naming one NLLB language
    expect(toFlores('sr-Latn')).toBeUndefined(); // NLLB has Serbian in Cyrillic only
    expect(toFlores('xx')).toBeUndefined();
    expect(toFlores('kas')).toBeUndefined(); // two scripts, none chosen
  });

  it('names every mapped code by a real NLLB language', () => {
    for (const code of ['af', 'am', 'en', 'fr', 'hi', 'ja', 'ko', 'ru', 'sw', 'uk', 'vi', 'yo', 'zu', 'fil']) {
      expect(NLLB_LANGUAGE_CODES).toContain(toFlores(code));
    }
  });

  it('gives M2M100 tokens for its scheme', () => {
    expect(languageToken('m2m100', 'es')).toBe('__es__');
    expect(languageToken('m2m100', 'nb')).toBe('__no__');
    expect(languageToken('m2m100', 'zh-TW')).toBe('__zh__');
    expect(languageToken('nllb', 'es')).toBe('spa_Latn');
  });
});
