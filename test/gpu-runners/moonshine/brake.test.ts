/**
 * Moonshine's hallucination brakes: a decoder that never ends stops at the tokens-per-second limit (6.5 tokens per
 * second of audio, at least one, within the decoder's context) instead of filling its context, and the runner's
 * hallucination guard withholds what such a loop writes. Also the engine's contract: one timed segment per
 * utterance (Moonshine predicts no timestamps), English only, and no glossary steering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoonshineOnnxEngine } from '../../../gpu-runners/engines/moonshine-onnx/engine.ts';
import { Blocklist } from '../../../gpu-runners/guard/blocklist.ts';
import { HallucinationGuard } from '../../../gpu-runners/guard/hallucination-guard.ts';
import { moonshineFixture } from '../../fixtures/moonshine/write-model.ts';
import { engineFor, moonshineInputs } from './support.ts';

const pcm = (samples: Float32Array) =>
  Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));

describe('moonshine-onnx brakes', () => {
  const inputs = moonshineInputs();
  let endless: MoonshineOnnxEngine;
  let looping: MoonshineOnnxEngine;
  let plain: MoonshineOnnxEngine;

  beforeAll(async () => {
    [endless, looping, plain] = await Promise.all([
      engineFor(moonshineFixture('tiny-random', { eosBias: -30 })),
      engineFor(moonshineFixture('tiny-random', { eosBias: -30, loopToken: { id: 300, bias: 40 } })),
      engineFor(moonshineFixture('tiny-random')),
    ]);
  });
  afterAll(async () => Promise.all([endless, looping, plain].map((e) => e?.close())));

  it('a decoder that never ends stops at ceil(seconds × 6.5) tokens', async () => {
    for (const input of [
      inputs[0]!,
      inputs[4]!,
      inputs.find((i) => i.name === 'silence-10s')!,
      inputs.find((i) => i.name === 'librivox-joined-24s')!,
    ]) {
      const [r] = await endless.transcribeDetailed([{ samples: input.samples }]);
      expect({ input: input.name, tokens: r!.tokens.length, limited: r!.limited }).toEqual({
        input: input.name,
        tokens: Math.min(192, Math.ceil((input.samples.length / 16000) * 6.5)),
        limited: true,
      });
    }
  });

  it('the hallucination guard withholds a loop the brake cut short', async () => {
    const guard = new HallucinationGuard({
      noSpeechThreshold: 0.6,
      logprobThreshold: -1,
      maxCompressionRatio: 2.4,
      maxRepeats: 4,
      minSpeechMs: 0,
      minWordsPerSecond: 0,
      blocklist: new Blocklist(),
    });
    const samples = inputs.find((i) => i.name === 'silence-10s')!.samples;
    const [r] = await looping.transcribe([{ id: 'a', pcm: pcm(samples), partial: false }]);
    expect(r!.tokens).toHaveLength(65);
    expect(new Set(r!.tokens)).toEqual(new Set([300]));
    const verdict = guard.judge({ text: r!.text, language: 'en', pcm: pcm(samples), avgLogprob: r!.avgLogprob });
    expect(verdict).toMatchObject({ text: '', reason: expect.stringMatching(/repetition|compression/) });
  });

  it('one segment per utterance spanning its audio; glossaries do not change the text; other languages are refused', async () => {
    const samples = inputs[4]!.samples;
    const [r] = await plain.transcribe([{ id: 'a', pcm: pcm(samples), partial: false }]);
    expect(r!.segments).toEqual(r!.text ? [{ start: 0, end: samples.length / 16000, text: r!.text }] : []);
    const [withGlossary] = await plain.transcribe([
      { id: 'b', pcm: pcm(samples), partial: false, glossary: [{ term: 'Kubernetes' }] },
    ]);
    expect(withGlossary!.text).toBe(r!.text);
    await expect(
      plain.transcribe([{ id: 'c', pcm: pcm(samples), partial: false, language: 'de' }]),
    ).rejects.toMatchObject({ code: 'unsupported_language' });
  });
});
