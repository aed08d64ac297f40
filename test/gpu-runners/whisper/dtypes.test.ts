/**
 * Whisper exports in the dtypes onnx-community publishes (fixture variants made as Optimum/onnxruntime make them:
 * dynamic quantization with MatMulInteger for q8/int8, half precision with boundary casts for fp16): earshot loads
 * the variant's files by transformers.js's suffixes and gives transformers.js's tokens with the same `dtype`.
 * fp16 runs with float16 hidden states and key/value caches through earshot's ONNX backend.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxSession } from '../../../gpu-runners/backend/onnx.ts';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { engineFor, oracleInputs, referenceTokens, tinyModel, transformersWhisper } from './support.ts';

const MAX_NEW = 24;
const GREEDY = { temperatures: [0], timestamps: false, maxNewTokens: MAX_NEW, language: 'en' } as const;
const DTYPES = ['q8', 'int8', 'fp16'] as const;

describe('whisper-onnx dtypes against transformers.js with the same dtype', () => {
  const dir = tinyModel({ variants: DTYPES });
  const inputs = oracleInputs().slice(0, 6);
  const engines: WhisperOnnxEngine[] = [];
  afterAll(async () => Promise.all(engines.map((e) => e.close())));

  it('the fp16 variant has float16 states and caches, with float32 features cast inside', async () => {
    const encoder = await OnnxSession.create(join(dir, 'onnx/encoder_model_fp16.onnx'));
    const decoder = await OnnxSession.create(join(dir, 'onnx/decoder_model_merged_fp16.onnx'));
    expect(encoder.inputs.find((i) => i.name === 'input_features')?.type).toBe('float32');
    expect(encoder.outputs.find((o) => o.name === 'last_hidden_state')?.type).toBe('float16');
    expect(decoder.inputs.find((i) => i.name === 'past_key_values.0.decoder.key')?.type).toBe('float16');
    expect(decoder.outputs.find((o) => o.name === 'logits')?.type).toBe('float16');
    await Promise.all([encoder.release(), decoder.release()]);
  });

  for (const dtype of DTYPES) {
    it(`${dtype}: the same tokens as transformers.js (dtype ${dtype}), from a different graph than fp32`, async () => {
      // The stock encoder graph, as transformers.js runs it: the fitted-window rewrite (encoder-window.test.ts has its
      // own oracle) changes a 30 s window's states by ~1e-5 (a lost operator fusion), and dynamic int8 quantization of
      // activations can turn that into a different near-tied token on random weights.
      const [engine, fp32, ref] = await Promise.all([engineFor(dir, GREEDY, 'cpu', dtype, false), engineFor(dir, GREEDY, 'cpu', 'fp32', false), transformersWhisper(dir, dtype)]);
      engines.push(engine, fp32);
      expect(engine.dtype).toBe(dtype);
      let differs = 0;
      for (const input of inputs) {
        const [mine] = await engine.transcribeDetailed([{ samples: input.samples, partial: false }]);
        const theirs = await referenceTokens(ref, input.samples, { language: 'en', task: 'transcribe', maxNewTokens: MAX_NEW }, engine.tokenizer.specials.eot);
        expect({ input: input.name, tokens: mine!.tokens[0] }).toEqual({ input: input.name, tokens: theirs });
        const [full] = await fp32.transcribeDetailed([{ samples: input.samples, partial: false }]);
        if (full!.avgLogprob !== mine!.avgLogprob) differs++;
      }
      expect(differs).toBeGreaterThan(0);
    });
  }

  it('per-graph dtypes, as transformers.js takes a dtype object: fp32 encoder, q8 decoder', async () => {
    const mixed = await engineFor(dir, GREEDY, 'cpu', { perGraph: { encoder_model: 'fp32', decoder_model_merged: 'q8' }, fallback: 'auto' });
    engines.push(mixed);
    expect(mixed.dtype).toBe('encoder_model:fp32 decoder_model_merged:q8');
    const { AutoProcessor, WhisperForConditionalGeneration } = await import('@huggingface/transformers');
    const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
    const model = (await WhisperForConditionalGeneration.from_pretrained(dir, { local_files_only: true, dtype: { encoder_model: 'fp32', decoder_model_merged: 'q8' }, device: 'cpu' })) as InstanceType<typeof WhisperForConditionalGeneration>;
    for (const input of inputs.slice(0, 3)) {
      const [mine] = await mixed.transcribeDetailed([{ samples: input.samples, partial: false }]);
      expect(mine!.tokens[0]).toEqual(await referenceTokens({ processor, model }, input.samples, { language: 'en', task: 'transcribe', maxNewTokens: MAX_NEW }, mixed.tokenizer.specials.eot));
    }
  });

  it('auto: the CPU default (q8) when the export has it, fp32 when it has only that', async () => {
    const auto = await engineFor(dir, GREEDY, 'cpu', 'auto');
    const plain = await engineFor(tinyModel(), GREEDY, 'cpu', 'auto');
    engines.push(auto, plain);
    expect(auto.dtype).toBe('q8');
    expect(plain.dtype).toBe('fp32');
  });

  it('variants of an export with split external data (as past 2 GiB) decode like those of the inline one', async () => {
    const split = tinyModel({ externalDataChunkBytes: 64 * 1024, variants: ['q8'] });
    const [a, b] = await Promise.all([engineFor(split, GREEDY, 'cpu', 'q8'), engineFor(tinyModel({ variants: ['q8'] }), GREEDY, 'cpu', 'q8')]);
    engines.push(a, b);
    const [ra] = await a.transcribeDetailed([{ samples: inputs[1]!.samples, partial: false }]);
    const [rb] = await b.transcribeDetailed([{ samples: inputs[1]!.samples, partial: false }]);
    expect(ra!.tokens).toEqual(rb!.tokens);
    expect(ra!.avgLogprob).toBe(rb!.avgLogprob);
  });
});
