/**
 * Speculative decoding of growing utterances: the engine verifies its last result for audio that starts the same
 * way in one decoder pass. Whatever the guess (the same audio, a shorter partial, a different utterance sharing the
 * first half second), the tokens are those of decoding without one; a right guess is taken whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoonshineOnnxEngine } from '../../../gpu-runners/engines/moonshine-onnx/engine.ts';
import { moonshineFixture } from '../../fixtures/moonshine/write-model.ts';
import { engineFor, moonshineInputs } from './support.ts';

describe('moonshine-onnx speculation', () => {
  const speech = moonshineInputs().find((i) => i.name === 'librivox-joined-24s')!.samples;
  let guessing: MoonshineOnnxEngine;
  let plain: MoonshineOnnxEngine;
  beforeAll(async () => {
    const dir = moonshineFixture('tiny-random');
    [guessing, plain] = await Promise.all([engineFor(dir, { speculate: true }), engineFor(dir, { speculate: false })]);
  });
  afterAll(async () => Promise.all([guessing?.close(), plain?.close()]));

  it('the same audio again: the previous result is taken whole, the tokens unchanged', async () => {
    const audio = speech.slice(0, 4 * 16000);
    const [first] = await guessing.transcribeDetailed([{ samples: audio }]);
    const [again] = await guessing.transcribeDetailed([{ samples: audio }]);
    expect(first!.accepted).toBe(0);
    expect(again!.tokens).toEqual(first!.tokens);
    expect(again!.accepted).toBe(first!.tokens.length - (first!.limited ? 1 : 0));
    expect(again!.avgLogprob).toBeCloseTo(first!.avgLogprob, 4);
  });

  it('a growing utterance (a partial every 0.7 s, then the final), and a different one with the same start: tokens as without guesses', async () => {
    let accepted = 0;
    for (let end = 1; end <= 8; end += 0.7) {
      const audio = speech.slice(0, Math.round(end * 16000));
      const [mine] = await guessing.transcribeDetailed([{ samples: audio }]);
      const [reference] = await plain.transcribeDetailed([{ samples: audio }]);
      expect({ end, tokens: mine!.tokens }).toEqual({ end, tokens: reference!.tokens });
      accepted += mine!.accepted;
    }
    const other = Float32Array.from(speech.slice(0, 10 * 16000), (v, i) =>
      i < 8000 ? v : speech[(i + 5 * 16000) % speech.length]!,
    );
    const [mine] = await guessing.transcribeDetailed([{ samples: other }]);
    expect(mine!.tokens).toEqual((await plain.transcribeDetailed([{ samples: other }]))[0]!.tokens);
    // Even a random model keeps part of its previous partial now and then (a trained one far more often).
    expect(accepted).toBeGreaterThan(0);
  });
});
