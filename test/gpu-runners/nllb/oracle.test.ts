/**
 * The correctness oracle: on generated random-weight models, earshot's tokenizer and greedy decoding give exactly
 * transformers.js's token ids and text. A padded batch gives each sentence the tokens it gets alone.
 */
import { env, pipeline, type TranslationPipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NllbOnnxEngine } from '../../../gpu-runners/engines/nllb-onnx/engine.ts';
import { greedyDecode } from '../../../gpu-runners/engines/nllb-onnx/greedy.ts';
import { readSeq2SeqConfig } from '../../../gpu-runners/engines/nllb-onnx/model-config.ts';
import { DEFAULTS, maxNewTokens } from '../../../gpu-runners/engines/nllb-onnx/options.ts';
import { Seq2SeqModel } from '../../../gpu-runners/engines/nllb-onnx/seq2seq-model.ts';
import { NllbTokenizer } from '../../../gpu-runners/engines/nllb-onnx/tokenizer.ts';
import { nllbFixture } from '../../fixtures/models/nllb-fixture.ts';
import { ORACLE_SENTENCES } from './sentences.ts';

env.allowRemoteModels = false;
env.localModelPath = '/';

interface Oracle {
  tokenizer: NllbTokenizer;
  model: Seq2SeqModel;
  reference: TranslationPipeline;
}

async function open(name: 'nllb-tiny' | 'm2m100-tiny'): Promise<Oracle> {
  const dir = nllbFixture(name);
  const [tokenizer, config] = await Promise.all([NllbTokenizer.load(dir), readSeq2SeqConfig(dir)]);
  const model = await Seq2SeqModel.load(dir, config);
  const reference = (await pipeline('translation', dir, { dtype: 'fp32', device: 'cpu' })) as TranslationPipeline;
  return { tokenizer, model, reference };
}

/** transformers.js's encoder input and generated ids for one sentence (decoder start dropped, cut after </s>). */
async function reference(
  o: Oracle,
  text: string,
  src: string,
  tgt: string,
  maxTokens: number,
): Promise<{ input: number[]; output: number[] }> {
  // src_lang goes with every call: transformers.js keeps the last one it was given in the tokenizer otherwise.
  const kwargs: Record<string, unknown> = { src_lang: src, tgt_lang: tgt };
  const tokenizer = o.reference.tokenizer as unknown as {
    _build_translation_inputs(t: string[], opts: object, kwargs: object): { input_ids: { data: BigInt64Array } };
  };
  const inputs = tokenizer._build_translation_inputs([text], { padding: true, truncation: true }, kwargs);
  const generated = (await o.reference.model.generate({
    ...inputs,
    ...kwargs,
    max_new_tokens: maxTokens,
  })) as unknown as { data: BigInt64Array };
  const output = Array.from(generated.data, Number).slice(1);
  const eos = output.indexOf(2);
  return { input: Array.from(inputs.input_ids.data, Number), output: eos < 0 ? output : output.slice(0, eos + 1) };
}

describe('nllb-onnx against transformers.js (NLLB-shaped tiny model)', () => {
  let o: Oracle;
  beforeAll(async () => {
    o = await open('nllb-tiny');
  });
  afterAll(() => o?.model.release());

  it(`tokenizes and greedily decodes ${ORACLE_SENTENCES.length} sentences token for token like transformers.js`, async () => {
    let endedEarly = 0;
    for (const { text, src, tgt } of ORACLE_SENTENCES) {
      const ids = o.tokenizer.encode(text, o.tokenizer.tokenId(src)!);
      const limit = maxNewTokens(ids.length, DEFAULTS, o.model.config.maxLength);
      const run = await o.model.encode([ids], o.tokenizer.padId);
      const [mine] = await greedyDecode(
        run,
        [{ forcedBos: o.tokenizer.tokenId(tgt)!, maxNewTokens: limit }],
        o.model.config,
      );
      const theirs = await reference(o, text, src, tgt, limit);
      expect({ text, input: ids, output: mine }).toEqual({ text, ...theirs });
      if (mine!.at(-1) === 2) endedEarly += 1;
    }
    // Both endings are exercised: sentences that emit </s> and sentences that run into the length cap.
    expect(endedEarly).toBeGreaterThan(3);
    expect(endedEarly).toBeLessThan(ORACLE_SENTENCES.length - 3);
  });

  it('gives each sentence of a padded batch the tokens it gets alone', async () => {
    const target = o.tokenizer.tokenId('spa_Latn')!;
    const rows = ORACLE_SENTENCES.map(({ text, src }) => o.tokenizer.encode(text, o.tokenizer.tokenId(src)!));
    const specs = rows.map((ids) => ({
      forcedBos: target,
      maxNewTokens: maxNewTokens(ids.length, DEFAULTS, o.model.config.maxLength),
    }));
    const batched = await greedyDecode(await o.model.encode(rows, o.tokenizer.padId), specs, o.model.config);
    const alone = [];
    for (const [i, ids] of rows.entries())
      alone.push((await greedyDecode(await o.model.encode([ids], o.tokenizer.padId), [specs[i]!], o.model.config))[0]);
    expect(new Set(rows.map((r) => r.length)).size).toBeGreaterThan(5); // really padded
    expect(batched).toEqual(alone);
  });

  it('translates to the same text as the transformers.js translation pipeline', async () => {
    const dir = nllbFixture('nllb-tiny');
    const engine = new NllbOnnxEngine({ model: dir, cacheSize: 0 });
    await engine.load();
    const sample = ORACLE_SENTENCES.slice(0, 8);
    const iso = (flores: string) =>
      ({ eng_Latn: 'en', spa_Latn: 'es', deu_Latn: 'de', fra_Latn: 'fr', zho_Hans: 'zh', ita_Latn: 'it' })[flores]!;
    const mine = await engine.translate(
      sample.map((s, i) => ({ id: String(i), text: s.text, source: iso(s.src), target: iso(s.tgt) })),
    );
    for (const [i, s] of sample.entries()) {
      const limit = maxNewTokens(o.tokenizer.encode(s.text, 0).length, DEFAULTS, o.model.config.maxLength);
      const [reference] = (await o.reference(s.text, {
        src_lang: s.src,
        tgt_lang: s.tgt,
        max_new_tokens: limit,
      } as Record<string, unknown>)) as { translation_text: string }[];
      expect(mine[i]!.text).toBe(reference!.translation_text);
    }
    await engine.close();
  });
});

describe('nllb-onnx against transformers.js (M2M100-shaped tiny model)', () => {
  it('uses __xx__ language tokens and matches transformers.js token for token', async () => {
    const o = await open('m2m100-tiny');
    expect(o.tokenizer.scheme).toBe('m2m100');
    for (const { text, src, tgt } of ORACLE_SENTENCES.slice(0, 6).map((s) => ({
      ...s,
      src: '__en__',
      tgt: '__de__',
    }))) {
      const ids = o.tokenizer.encode(text, o.tokenizer.tokenId(src)!);
      expect(ids[0]).toBe(o.tokenizer.tokenId('__en__'));
      const limit = maxNewTokens(ids.length, DEFAULTS, o.model.config.maxLength);
      const [mine] = await greedyDecode(
        await o.model.encode([ids], o.tokenizer.padId),
        [{ forcedBos: o.tokenizer.tokenId(tgt)!, maxNewTokens: limit }],
        o.model.config,
      );
      expect({ input: ids, output: mine }).toEqual(await reference(o, text, 'en', 'de', limit));
    }
    await o.model.release();
  });
});
