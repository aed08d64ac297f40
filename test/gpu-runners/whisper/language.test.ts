/** Language detection: Whisper's single decoder pass over <|startoftranscript|>, batched over utterances. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { LogMelExtractor } from '../../../gpu-runners/engines/whisper-onnx/features.ts';
import { logitsAt, WhisperModel } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { engineFor, oracleInputs, tinyModel } from './support.ts';

const OPTIONS = { timestamps: false, temperatures: [0], maxNewTokens: 16 } as const;

describe('language detection', () => {
  const inputs = oracleInputs().slice(0, 8);
  let detecting: WhisperOnnxEngine;
  beforeAll(async () => {
    detecting = await engineFor(tinyModel(), OPTIONS);
  });
  afterAll(async () => detecting?.close());

  it('picks the likeliest language token after <|startoftranscript|>, then transcribes in it', async () => {
    const dir = tinyModel();
    const model = await WhisperModel.load(dir, { device: { kind: 'cpu', index: 0 }, logger: silentLogger, threads: 1 });
    const features = new LogMelExtractor(80);
    const { specials } = detecting.tokenizer;
    const results = await detecting.transcribeDetailed(inputs.map((i) => ({ samples: i.samples, partial: false })));
    for (const [k, input] of inputs.entries()) {
      const { logits } = await model.prefill([[specials.sot]], await model.encode([features.extract(input.samples)]));
      const l = logitsAt(logits, 0, 0);
      const expected = [...specials.languages].reduce((best, cur) => (l[cur[1]]! > l[best[1]]! ? cur : best))[0];
      expect({ input: input.name, language: results[k]!.language }).toEqual({ input: input.name, language: expected });
    }
    await model.release();
  });

  it('detects a language the model favours and decodes exactly as if it had been named', async () => {
    const dir = tinyModel({ languageBias: { de: 8 } });
    const [auto, named] = await Promise.all([engineFor(dir, OPTIONS), engineFor(dir, { ...OPTIONS, language: 'de' })]);
    const detected = await auto.transcribeDetailed(inputs.map((i) => ({ samples: i.samples, partial: false })));
    const given = await named.transcribeDetailed(inputs.map((i) => ({ samples: i.samples, partial: false })));
    expect(detected.map((r) => r.language)).toEqual(inputs.map(() => 'de'));
    expect(detected.map((r) => r.tokens)).toEqual(given.map((r) => r.tokens));
    // A request's own language wins over detection.
    const [fr] = await auto.transcribeDetailed([{ samples: inputs[0]!.samples, partial: false, language: 'fr' }]);
    expect(fr!.language).toBe('fr');
    await Promise.all([auto.close(), named.close()]);
  });
});
