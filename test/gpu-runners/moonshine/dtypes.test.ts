/**
 * Moonshine exports in the dtypes onnx-community publishes (q8, int8, fp16 fixture variants made as Optimum/onnxruntime make them):
 * earshot loads them by transformers.js's file suffixes (gpu-runners/models/dtype.ts, shared with Whisper) and
 * gives transformers.js's tokens with the same `dtype`; `auto` takes q8 on the CPU when the export has it.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxSession } from '../../../gpu-runners/backend/onnx.ts';
import type { MoonshineOnnxEngine } from '../../../gpu-runners/engines/moonshine-onnx/engine.ts';
import { moonshineFixture } from '../../fixtures/moonshine/write-model.ts';
import { engineFor, moonshineInputs, referenceDecode, transformersMoonshine } from './support.ts';

const DTYPES = ['q8', 'int8', 'fp16'] as const;

describe('moonshine-onnx dtypes against transformers.js with the same dtype', () => {
  const dir = moonshineFixture('tiny-random', { variants: DTYPES });
  const inputs = moonshineInputs().slice(2, 8);
  const engines: MoonshineOnnxEngine[] = [];
  afterAll(async () => Promise.all(engines.map((e) => e.close())));

  it('the fp16 variant takes float32 samples and has float16 states and caches', async () => {
    const encoder = await OnnxSession.create(join(dir, 'onnx/encoder_model_fp16.onnx'));
    const decoder = await OnnxSession.create(join(dir, 'onnx/decoder_model_merged_fp16.onnx'));
    expect(encoder.inputs.find((i) => i.name === 'input_values')?.type).toBe('float32');
    expect(encoder.outputs.find((o) => o.name === 'last_hidden_state')?.type).toBe('float16');
    expect(decoder.inputs.find((i) => i.name === 'past_key_values.0.decoder.key')?.type).toBe('float16');
    await Promise.all([encoder.release(), decoder.release()]);
  });

  for (const dtype of DTYPES) {
    it(`${dtype}: the same tokens as transformers.js (dtype ${dtype}), from a different graph than fp32`, async () => {
      const [engine, fp32, ref] = await Promise.all([
        engineFor(dir, {}, dtype),
        engineFor(dir, {}, 'fp32'),
        transformersMoonshine(dir, dtype),
      ]);
      engines.push(engine, fp32);
      expect(engine.dtype).toBe(dtype);
      let differs = 0;
      for (const input of inputs) {
        const [mine] = await engine.transcribeDetailed([{ samples: input.samples }]);
        const theirs = await referenceDecode(ref, input.samples, engine.maxNewTokens(input.samples.length));
        expect({ input: input.name, tokens: mine!.tokens }).toEqual({ input: input.name, tokens: theirs.tokens });
        const [full] = await fp32.transcribeDetailed([{ samples: input.samples }]);
        if (full!.avgLogprob !== mine!.avgLogprob) differs++;
      }
      expect(differs).toBeGreaterThan(0);
    });
  }

  it('auto: q8 on the CPU when the export has it, fp32 when it has only that', async () => {
    const [auto, plain] = await Promise.all([
      engineFor(dir, {}, 'auto'),
      engineFor(moonshineFixture('tiny-random'), {}, 'auto'),
    ]);
    engines.push(auto, plain);
    expect(auto.dtype).toBe('q8');
    expect(plain.dtype).toBe('fp32');
  });
});
