/**
 * Decoding beyond plain greedy: timestamp mode against a reference decoder written from openai/whisper's rules,
 * segments read from the timestamps, and beam search against a reference beam search (transformers.js has neither
 * Whisper's timestamp rules nor beam search, so they cannot be the oracle here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { LogMelExtractor } from '../../../gpu-runners/engines/whisper-onnx/features.ts';
import { WhisperModel } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { referenceBeam, referenceGreedy, type ReferenceSetup } from './reference-decoder.ts';
import { engineFor, oracleInputs, tinyModel } from './support.ts';

const MAX_NEW = 24;
const BASE = { temperatures: [0], maxNewTokens: MAX_NEW, language: 'en' } as const;

describe('whisper-onnx decoding', () => {
  const inputs = oracleInputs().filter((i) => /^librivox-0(870|880|890|920)$|joined-24s|goforward/.test(i.name));
  let dir: string;
  let model: WhisperModel;
  let timestamped: WhisperOnnxEngine;
  let beam: WhisperOnnxEngine;
  let greedy: WhisperOnnxEngine;
  const features = new LogMelExtractor(80);

  beforeAll(async () => {
    dir = tinyModel();
    [model, timestamped, beam, greedy] = await Promise.all([
      WhisperModel.load(dir, { device: { kind: 'cpu', index: 0 }, logger: silentLogger, threads: 1 }),
      engineFor(dir, { ...BASE, timestamps: true }),
      engineFor(dir, { ...BASE, timestamps: false, beamSize: 3 }),
      engineFor(dir, { ...BASE, timestamps: false }),
    ]);
  });
  afterAll(async () => Promise.all([model?.release(), timestamped?.close(), beam?.close(), greedy?.close()]));

  const setup = async (samples: Float32Array, prompt: number[], timestamps: boolean): Promise<ReferenceSetup> => ({
    model,
    states: await model.encode([features.extract(samples)]),
    prompt,
    specials: timestamped.tokenizer.specials,
    timestamps,
    maxNew: MAX_NEW,
  });

  it("follows Whisper's timestamp rules token for token and turns timestamps into segments", async () => {
    expect(inputs).toHaveLength(6);
    const s = timestamped.tokenizer.specials;
    const results = await timestamped.transcribeDetailed(inputs.map((i) => ({ samples: i.samples, partial: false })));
    let multiSegment = 0;
    for (const [k, input] of inputs.entries()) {
      const tokens = results[k]!.tokens[0]!;
      const reference = await referenceGreedy(
        await setup(input.samples, [s.sot, s.languages.get('en')!, s.transcribe], true),
      );
      expect({ input: input.name, tokens }).toEqual({ input: input.name, tokens: reference });
      // The rules, restated on the output: an early first timestamp, never decreasing, text between.
      expect(tokens[0]).toBeGreaterThanOrEqual(s.timestampBegin);
      expect(tokens[0]).toBeLessThanOrEqual(s.timestampBegin + 50);
      const stamps = tokens.filter((t) => t >= s.timestampBegin);
      expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
      const { segments } = results[k]!;
      const duration = input.samples.length / 16000;
      for (const seg of segments) {
        expect(seg.start).toBeLessThanOrEqual(seg.end);
        expect(seg.end).toBeLessThanOrEqual(duration);
      }
      expect(segments.map((x) => x.text).join('')).toBe(results[k]!.text);
      if (segments.length > 1) multiSegment++;
    }
    expect(multiSegment).toBeGreaterThan(0);
  });

  it('beam search equals a reference beam search, differs from greedy, and keeps each utterance independent of its batch', async () => {
    const s = beam.tokenizer.specials;
    const prompt = [s.sot, s.languages.get('en')!, s.transcribe, s.noTimestamps];
    const picked = inputs.slice(0, 4);
    const batched = await beam.transcribeDetailed(picked.map((i) => ({ samples: i.samples, partial: false })));
    let differs = 0;
    for (const [k, input] of picked.entries()) {
      const reference = await referenceBeam(await setup(input.samples, prompt, false), 3);
      expect({ input: input.name, tokens: batched[k]!.tokens[0] }).toEqual({ input: input.name, tokens: reference });
      const [alone] = await beam.transcribeDetailed([{ samples: input.samples, partial: false }]);
      expect(alone!.tokens).toEqual(batched[k]!.tokens);
      const [g] = await greedy.transcribeDetailed([{ samples: input.samples, partial: false }]);
      if (JSON.stringify(g!.tokens) !== JSON.stringify(alone!.tokens)) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('`fast` effort (a runner catching up) decodes greedily on a beam engine, each request of a mixed batch at its own effort', async () => {
    const picked = inputs.slice(0, 4);
    const mixed = await beam.transcribeDetailed(
      picked.map((i, k) => ({
        samples: i.samples,
        partial: false,
        effort: k % 2 === 0 ? ('fast' as const) : ('full' as const),
      })),
    );
    const greedyOut = await greedy.transcribeDetailed(picked.map((i) => ({ samples: i.samples, partial: false })));
    const beamOut = await beam.transcribeDetailed(picked.map((i) => ({ samples: i.samples, partial: false })));
    for (const k of picked.keys()) expect(mixed[k]!.tokens).toEqual((k % 2 === 0 ? greedyOut : beamOut)[k]!.tokens);
  });

  it('greedy timestamp decoding also matches the reference with a previous-text prompt', async () => {
    const input = inputs[1]!;
    const previous = 'what came before';
    const s = timestamped.tokenizer.specials;
    const [mine] = await timestamped.transcribeDetailed([{ samples: input.samples, partial: false, prompt: previous }]);
    const prompt = [
      s.startOfPrev,
      ...timestamped.tokenizer.encode(` ${previous}`),
      s.sot,
      s.languages.get('en')!,
      s.transcribe,
    ];
    expect(mine!.tokens[0]).toEqual(await referenceGreedy(await setup(input.samples, prompt, true)));
  });
});
