/**
 * The correctness oracle: on a generated random-weight Moonshine, earshot's greedy tokens and text equal
 * transformers.js's (its processor, encoder, merged decoder with KV cache and generation loop) up to `</s>`, under
 * the same tokens-per-second limit, one input at a time; and a batch of every input gives each input's own tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoonshineOnnxEngine } from '../../../gpu-runners/engines/moonshine-onnx/engine.ts';
import { moonshineFixture } from '../../fixtures/moonshine/write-model.ts';
import { engineFor, moonshineInputs, referenceDecode, transformersMoonshine, type Reference } from './support.ts';

describe('moonshine-onnx against transformers.js (greedy)', () => {
  const inputs = moonshineInputs();
  let engine: MoonshineOnnxEngine;
  let ref: Reference;

  beforeAll(async () => {
    const dir = moonshineFixture('tiny-random');
    [engine, ref] = await Promise.all([engineFor(dir), transformersMoonshine(dir)]);
  });
  afterAll(async () => engine?.close());

  it(`gives transformers.js's tokens and text on ${inputs.length} inputs: speech, silence, noise, 0.5–30 s`, async () => {
    expect(inputs.length).toBeGreaterThanOrEqual(20);
    const durations = inputs.map((i) => i.samples.length / 16000);
    expect(Math.min(...durations)).toBe(0.5);
    expect(Math.max(...durations)).toBe(30);
    const lengths = new Set<number>();
    let limited = 0;
    for (const input of inputs) {
      const [mine] = await engine.transcribeDetailed([{ samples: input.samples }]);
      const theirs = await referenceDecode(ref, input.samples, engine.maxNewTokens(input.samples.length));
      expect({ input: input.name, tokens: mine!.tokens, text: mine!.text }).toEqual({ input: input.name, ...theirs });
      lengths.add(theirs.tokens.length);
      if (mine!.limited) limited++;
    }
    // A good oracle has outputs of many lengths, some ended by `</s>` and some by the brake.
    expect(lengths.size).toBeGreaterThan(5);
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThan(inputs.length);
  });

  it('gives each input its own tokens in one batch (rows of equal and different lengths together)', async () => {
    const batch = [...inputs, inputs[3]!, inputs[5]!];
    const together = await engine.transcribeDetailed(batch.map((i) => ({ samples: i.samples })));
    for (const [k, input] of batch.entries()) {
      const [alone] = await engine.transcribeDetailed([{ samples: input.samples }]);
      expect({ input: input.name, tokens: together[k]!.tokens }).toEqual({ input: input.name, tokens: alone!.tokens });
    }
  });
});

// transformers.js 4.3.2 cannot run such an export (its Moonshine `forward_params` drop attention_mask), so the oracle
// is the same weights without masks: all-ones masks add exactly zero to every attention score.
describe('moonshine-onnx on a newer Optimum export (encoder attention_mask, sample-level encoder_attention_mask)', () => {
  it('gives the tokens of the same weights without masks, alone and in a batch', async () => {
    const [masked, plain] = await Promise.all([
      engineFor(moonshineFixture('tiny-random', { masks: true })),
      engineFor(moonshineFixture('tiny-random')),
    ]);
    const inputs = [...moonshineInputs().slice(0, 5), moonshineInputs()[2]!];
    const together = await masked.transcribeDetailed(inputs.map((i) => ({ samples: i.samples })));
    for (const [k, input] of inputs.entries()) {
      const [alone] = await masked.transcribeDetailed([{ samples: input.samples }]);
      const [reference] = await plain.transcribeDetailed([{ samples: input.samples }]);
      expect({ input: input.name, alone: alone!.tokens, batched: together[k]!.tokens }).toEqual({
        input: input.name,
        alone: reference!.tokens,
        batched: reference!.tokens,
      });
    }
    await Promise.all([masked.close(), plain.close()]);
  });
});
