/**
 * NLLB exports in the dtypes onnx-community and Xenova publish (fixture variants made as onnxruntime's dynamic
 * quantization and fp16 conversion make them): earshot decodes each variant token for token like transformers.js
 * with the same `dtype`, and the engine picks the variant's files by transformers.js's suffixes.
 */
import { join } from 'node:path';
import { env, pipeline, type TranslationPipeline } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { NllbOnnxEngine } from '../../../gpu-runners/engines/nllb-onnx/engine.ts';
import { greedyDecode } from '../../../gpu-runners/engines/nllb-onnx/greedy.ts';
import { readSeq2SeqConfig } from '../../../gpu-runners/engines/nllb-onnx/model-config.ts';
import { DEFAULTS, maxNewTokens } from '../../../gpu-runners/engines/nllb-onnx/options.ts';
import { Seq2SeqModel } from '../../../gpu-runners/engines/nllb-onnx/seq2seq-model.ts';
import { NllbTokenizer } from '../../../gpu-runners/engines/nllb-onnx/tokenizer.ts';
import { graphFile } from '../../../gpu-runners/models/dtype.ts';
import { LayeredModelStore } from '../../../gpu-runners/models/model-store.ts';
import { nllbFixture } from '../../fixtures/models/nllb-fixture.ts';
import { ORACLE_SENTENCES } from './sentences.ts';

env.allowRemoteModels = false;
env.localModelPath = '/';

const DTYPES = ['q8', 'int8', 'fp16', 'q4', 'q4f16', 'bnb4'] as const;

describe('nllb-onnx dtypes against transformers.js with the same dtype', () => {
  const dir = nllbFixture('nllb-tiny', DTYPES);
  const sentences = ORACLE_SENTENCES.slice(0, 8);

  for (const dtype of DTYPES) {
    it(`${dtype}: the same tokens as transformers.js (dtype ${dtype})`, async () => {
      const [tokenizer, config] = await Promise.all([NllbTokenizer.load(dir), readSeq2SeqConfig(dir)]);
      const files = { encoder: graphFile('encoder_model', dtype), decoder: graphFile('decoder_model_merged', dtype) };
      const [model, fp32] = await Promise.all([
        Seq2SeqModel.load(dir, config, { files }),
        Seq2SeqModel.load(dir, config),
      ]);
      const reference = (await pipeline('translation', dir, { dtype, device: 'cpu' })) as TranslationPipeline;
      let differs = 0;
      for (const { text, src, tgt } of sentences) {
        const ids = tokenizer.encode(text, tokenizer.tokenId(src)!);
        const limit = maxNewTokens(ids.length, DEFAULTS, config.maxLength);
        const [mine] = await greedyDecode(
          await model.encode([ids], tokenizer.padId),
          [{ forcedBos: tokenizer.tokenId(tgt)!, maxNewTokens: limit }],
          config,
        );
        const [full] = await greedyDecode(
          await fp32.encode([ids], tokenizer.padId),
          [{ forcedBos: tokenizer.tokenId(tgt)!, maxNewTokens: limit }],
          config,
        );
        const kwargs = { src_lang: src, tgt_lang: tgt };
        const t = reference.tokenizer as unknown as {
          _build_translation_inputs(t: string[], opts: object, kwargs: object): object;
        };
        const generated = (await reference.model.generate({
          ...t._build_translation_inputs([text], { padding: true, truncation: true }, kwargs),
          ...kwargs,
          max_new_tokens: limit,
        })) as unknown as { data: BigInt64Array };
        const output = Array.from(generated.data, Number).slice(1);
        const eos = output.indexOf(2);
        expect({ text, output: mine }).toEqual({ text, output: eos < 0 ? output : output.slice(0, eos + 1) });
        // The first step's logits: the variant's arithmetic, not fp32's, whether or not the argmax moved.
        const [ours] = await (await model.encode([ids], tokenizer.padId)).step([config.decoderStartId]);
        const [theirs] = await (await fp32.encode([ids], tokenizer.padId)).step([config.decoderStartId]);
        if (JSON.stringify(mine) !== JSON.stringify(full) || ours!.some((v, i) => v !== theirs![i])) differs++;
      }
      expect(differs).toBe(sentences.length);
      await Promise.all([model.release(), fp32.release()]);
    });
  }

  it('the engine loads the variant its dtype names, and auto picks q8 on the CPU', async () => {
    for (const [dtype, expected] of [
      ['fp16', 'fp16'],
      ['auto', 'q8'],
    ] as const) {
      const engine = new NllbOnnxEngine({
        model: dir,
        store: new LayeredModelStore({ modelDir: join(dir, '..') }),
        dtype,
        threads: 1,
      });
      await engine.load();
      expect(engine.dtype).toBe(expected);
      const [out] = await engine.translate([
        { id: 'a', text: 'The weather is nice today.', source: 'en', target: 'es' },
      ]);
      expect(out!.id).toBe('a');
      await engine.close();
    }
  });
});
