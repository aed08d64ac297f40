/**
 * Whisper exports in the dtypes onnx-community publishes (fixture variants made as Optimum/onnxruntime make them:
 * dynamic quantization with MatMulInteger for q8/int8, half precision with boundary casts for fp16): earshot loads
 * the variant's files by transformers.js's suffixes and gives transformers.js's tokens with the same `dtype`.
 * fp16 runs with float16 hidden states and key/value caches through earshot's ONNX backend. q4/q4f16/bnb4 are
 * block-wise 4-bit (MatMulNBits / MatMulBnb4, both in onnxruntime-node's CPU build). Slow (six dtypes, two
 * runtimes): in the integration project.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxSession } from '../../../gpu-runners/backend/onnx.ts';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { ModelProto } from '../../fixtures/onnx/onnx-schema.ts';
import { engineFor, oracleInputs, referenceTokens, tinyModel, transformersWhisper } from './support.ts';

const MAX_NEW = 24;
const GREEDY = { temperatures: [0], timestamps: false, maxNewTokens: MAX_NEW, language: 'en' } as const;
const DTYPES = ['q8', 'int8', 'fp16', 'q4', 'q4f16', 'bnb4'] as const;

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

  it('the variants are built as transformers.js publishes them: q8 embeddings, 4-bit blocks with zero points, fp16 scales for q4f16', () => {
    type Graph = {
      node: { opType: string; input: string[]; attribute?: { name: string; i?: number }[]; domain?: string }[];
      initializer?: { name: string; dataType: number }[];
    };
    const graphOf = (file: string) =>
      (
        ModelProto.toObject(ModelProto.decode(readFileSync(join(dir, 'onnx', file))), {
          longs: Number,
          arrays: true,
        }) as { graph: Graph }
      ).graph;
    const nodes = (g: Graph): Graph['node'] =>
      g.node.flatMap((n) => [
        n,
        ...((n as { attribute?: { g?: Graph }[] }).attribute ?? []).flatMap((a) => (a.g ? nodes(a.g) : [])),
      ]);
    const ops = (file: string) => nodes(graphOf(file)).map((n) => n.opType);
    // MatMuls left read two activations (attention); none multiplies by a weight.
    const weightMatMuls = (g: Graph) =>
      nodes(g).filter((n) => n.opType === 'MatMul' && type(g, n.input[1]!) !== undefined);
    const type = (g: Graph, name: string) => g.initializer?.find((t) => t.name === name)?.dataType;
    // q8: the token table is read as uint8 and the rows dequantized; no float copy of it is left.
    const q8 = graphOf('decoder_model_merged_quantized.onnx');
    const gathers = nodes(q8).filter(
      (n) => n.opType === 'Gather' && n.input[0]!.startsWith('model.decoder.embed_tokens'),
    );
    expect(gathers.map((n) => type(q8, n.input[0]!))).toEqual(gathers.map(() => 2));
    expect(ops('decoder_model_merged_quantized.onnx')).toContain('DequantizeLinear');
    expect(type(q8, 'model.decoder.embed_tokens.weight')).toBeUndefined();
    for (const [file, scaleType] of [
      ['encoder_model_q4.onnx', 1],
      ['decoder_model_merged_q4f16.onnx', 10],
    ] as const) {
      const g = graphOf(file);
      const nbits = nodes(g).filter((n) => n.opType === 'MatMulNBits');
      expect(weightMatMuls(g)).toEqual([]);
      expect(nbits.length).toBeGreaterThan(4);
      expect(
        nbits.every(
          (n) =>
            n.domain === 'com.microsoft' &&
            n.input.length === 4 &&
            n.attribute!.find((a) => a.name === 'bits')!.i === 4,
        ),
      ).toBe(true);
      expect(type(g, nbits[0]!.input[2]!)).toBe(scaleType);
    }
    expect(ops('decoder_model_merged_bnb4.onnx')).toContain('MatMulBnb4');
    expect(weightMatMuls(graphOf('decoder_model_merged_bnb4.onnx'))).toEqual([]);
  });

  for (const dtype of DTYPES) {
    it(`${dtype}: the same tokens as transformers.js (dtype ${dtype}), from a different graph than fp32`, async () => {
      // The stock encoder graph, as transformers.js runs it: the fitted-window rewrite (encoder-window.test.ts has its
      // own oracle) changes a 30 s window's states by ~1e-5 (a lost operator fusion), and dynamic int8 quantization of
      // activations can turn that into a different near-tied token on random weights.
      const [engine, fp32, ref] = await Promise.all([
        engineFor(dir, GREEDY, 'cpu', dtype, false),
        engineFor(dir, GREEDY, 'cpu', 'fp32', false),
        transformersWhisper(dir, dtype),
      ]);
      engines.push(engine, fp32);
      expect(engine.dtype).toBe(dtype);
      let differs = 0;
      for (const input of inputs) {
        const [mine] = await engine.transcribeDetailed([{ samples: input.samples, partial: false }]);
        const theirs = await referenceTokens(
          ref,
          input.samples,
          { language: 'en', task: 'transcribe', maxNewTokens: MAX_NEW },
          engine.tokenizer.specials.eot,
        );
        expect({ input: input.name, tokens: mine!.tokens[0] }).toEqual({ input: input.name, tokens: theirs });
        const [full] = await fp32.transcribeDetailed([{ samples: input.samples, partial: false }]);
        if (full!.avgLogprob !== mine!.avgLogprob) differs++;
      }
      expect(differs).toBeGreaterThan(0);
    });
  }

  it('per-graph dtypes, as transformers.js takes a dtype object: fp32 encoder, q8 decoder', async () => {
    const mixed = await engineFor(dir, GREEDY, 'cpu', {
      perGraph: { encoder_model: 'fp32', decoder_model_merged: 'q8' },
      fallback: 'auto',
    });
    engines.push(mixed);
    expect(mixed.dtype).toBe('encoder_model:fp32 decoder_model_merged:q8');
    const { AutoProcessor, WhisperForConditionalGeneration } = await import('@huggingface/transformers');
    const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
    const model = (await WhisperForConditionalGeneration.from_pretrained(dir, {
      local_files_only: true,
      dtype: { encoder_model: 'fp32', decoder_model_merged: 'q8' },
      device: 'cpu',
    })) as InstanceType<typeof WhisperForConditionalGeneration>;
    for (const input of inputs.slice(0, 3)) {
      const [mine] = await mixed.transcribeDetailed([{ samples: input.samples, partial: false }]);
      expect(mine!.tokens[0]).toEqual(
        await referenceTokens(
          { processor, model },
          input.samples,
          { language: 'en', task: 'transcribe', maxNewTokens: MAX_NEW },
          mixed.tokenizer.specials.eot,
        ),
      );
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
    const [a, b] = await Promise.all([
      engineFor(split, GREEDY, 'cpu', 'q8'),
      engineFor(tinyModel({ variants: ['q8'] }), GREEDY, 'cpu', 'q8'),
    ]);
    engines.push(a, b);
    const [ra] = await a.transcribeDetailed([{ samples: inputs[1]!.samples, partial: false }]);
    const [rb] = await b.transcribeDetailed([{ samples: inputs[1]!.samples, partial: false }]);
    expect(ra!.tokens).toEqual(rb!.tokens);
    expect(ra!.avgLogprob).toBe(rb!.avgLogprob);
  });
});
