/**
 * The correctness oracle: on a generated random-weight Whisper, earshot's greedy tokens equal transformers.js's
 * (its feature extractor, encoder, merged decoder with KV cache and generation loop) up to the first end-of-text,
 * one input at a time. Random weights make the text meaningless, but any difference in features, prompt, cache
 * handling or suppression shows up as a different token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { engineFor, oracleInputs, referenceTokens, tinyModel, transformersWhisper, type Reference } from './support.ts';

const MAX_NEW = 32;
const GREEDY = { temperatures: [0], timestamps: false, maxNewTokens: MAX_NEW, conditionOnPreviousText: true } as const;

describe('whisper-onnx against transformers.js (greedy, batch size 1)', () => {
  const inputs = oracleInputs();
  let dir: string;
  let engine: WhisperOnnxEngine;
  let translator: WhisperOnnxEngine;
  let ref: Reference;

  beforeAll(async () => {
    dir = tinyModel();
    [engine, translator, ref] = await Promise.all([
      engineFor(dir, { ...GREEDY, language: 'en' }),
      engineFor(dir, { ...GREEDY, language: 'en', task: 'translate' }),
      transformersWhisper(dir),
    ]);
  });
  afterAll(async () => {
    await engine?.close();
    await translator?.close();
  });

  it(`gives transformers.js's tokens on ${inputs.length} inputs: speech, silence, noise, 1–30 s`, async () => {
    expect(inputs.length).toBeGreaterThanOrEqual(20);
    const durations = inputs.map((i) => i.samples.length / 16000);
    expect(Math.min(...durations)).toBeLessThanOrEqual(1);
    expect(Math.max(...durations)).toBe(30);
    const lengths = new Set<number>();
    for (const input of inputs) {
      const [mine] = await engine.transcribeDetailed([{ samples: input.samples, partial: false }]);
      const theirs = await referenceTokens(
        ref,
        input.samples,
        { language: 'en', task: 'transcribe', maxNewTokens: MAX_NEW },
        engine.tokenizer.specials.eot,
      );
      expect({ input: input.name, tokens: mine!.tokens[0] }).toEqual({ input: input.name, tokens: theirs });
      lengths.add(theirs.length);
    }
    // The fixture is only a good oracle if outputs differ and some end early: a model stuck on one token proves little.
    expect(lengths.size).toBeGreaterThan(3);
    expect(Math.min(...lengths)).toBeLessThan(MAX_NEW);
  });

  it('translates with the <|translate|> task token like transformers.js', async () => {
    let differs = 0;
    for (const input of inputs.slice(0, 5)) {
      const [mine] = await translator.transcribeDetailed([{ samples: input.samples, partial: false }]);
      const [transcribed] = await engine.transcribeDetailed([{ samples: input.samples, partial: false }]);
      const theirs = await referenceTokens(
        ref,
        input.samples,
        { language: 'en', task: 'translate', maxNewTokens: MAX_NEW },
        translator.tokenizer.specials.eot,
      );
      expect(mine!.tokens[0]).toEqual(theirs);
      if (JSON.stringify(theirs) !== JSON.stringify(transcribed!.tokens[0])) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it("conditions on the session's previous text: <|startofprev|> prompt, same tokens as transformers.js given that prompt", async () => {
    const previous = 'and so the story went on';
    const { specials } = engine.tokenizer;
    const prompt = [
      specials.startOfPrev,
      ...engine.tokenizer.encode(` ${previous}`),
      specials.sot,
      specials.languages.get('en')!,
      specials.transcribe,
      specials.noTimestamps,
    ];
    let differs = 0;
    for (const input of inputs.slice(0, 5)) {
      const [conditioned] = await engine.transcribeDetailed([
        { samples: input.samples, partial: false, prompt: previous },
      ]);
      const [plain] = await engine.transcribeDetailed([{ samples: input.samples, partial: false }]);
      const theirs = await referenceTokens(ref, input.samples, { maxNewTokens: MAX_NEW, prompt }, specials.eot);
      expect(conditioned!.tokens[0]).toEqual(theirs);
      if (JSON.stringify(conditioned!.tokens[0]) !== JSON.stringify(plain!.tokens[0])) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });
});

describe('whisper-onnx against transformers.js on a 128-mel-bin (large-v3 style) model', () => {
  it('gives the same tokens', async () => {
    const dir = tinyModel({}, 'tiny-random-128');
    const [engine, ref] = await Promise.all([engineFor(dir, { ...GREEDY, language: 'de' }), transformersWhisper(dir)]);
    expect(engine.languages).toContain('yue');
    for (const input of oracleInputs().slice(0, 4)) {
      const [mine] = await engine.transcribeDetailed([{ samples: input.samples, partial: false }]);
      expect(mine!.tokens[0]).toEqual(
        await referenceTokens(
          ref,
          input.samples,
          { language: 'de', task: 'transcribe', maxNewTokens: MAX_NEW },
          engine.tokenizer.specials.eot,
        ),
      );
    }
    await engine.close();
  });
});
