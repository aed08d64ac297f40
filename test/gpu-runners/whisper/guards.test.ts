/**
 * Whisper's guards: temperature fallback when a decode looks wrong (too repetitive, too unlikely), and the
 * no-speech threshold that keeps silence and noise from producing text. Random weights never sound confident, so
 * the engine-level tests steer the fixture (a no-speech bias) and the thresholds to reach each branch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { LogMelExtractor } from '../../../gpu-runners/engines/whisper-onnx/features.ts';
import { logSumExp } from '../../../gpu-runners/engines/whisper-onnx/logit-rules.ts';
import { logitsAt, WhisperModel } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import { compressionRatio, isSilence, needsFallback } from '../../../gpu-runners/engines/whisper-onnx/quality.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { engineFor, oracleInputs, tinyModel } from './support.ts';

const inputs = oracleInputs();
const byName = (name: string) => inputs.find((i) => i.name === name)!.samples;
const DEFAULTS = { compressionRatioThreshold: 2.4, logprobThreshold: -1, noSpeechThreshold: 0.6 };

describe('decode quality rules', () => {
  it('measures repetition by gzip compression ratio', () => {
    expect(compressionRatio(' nx! nx! nx! nx! nx! nx! nx! nx! nx! nx! nx! nx! nx! nx!')).toBeGreaterThan(2.4);
    expect(compressionRatio(' The quick brown fox jumps over the lazy dog.')).toBeLessThan(1.5);
    expect(compressionRatio('')).toBe(0);
  });

  it('falls back on repetitive or unlikely text, but not on silence; skips silence unless the text is likely', () => {
    const q = (avgLogprob: number, noSpeechProb: number, ratio: number) => ({
      avgLogprob,
      noSpeechProb,
      compressionRatio: ratio,
    });
    expect(needsFallback(q(-0.3, 0.1, 1.2), DEFAULTS)).toBe(false);
    expect(needsFallback(q(-0.3, 0.1, 3.0), DEFAULTS)).toBe(true);
    expect(needsFallback(q(-1.5, 0.1, 1.2), DEFAULTS)).toBe(true);
    expect(needsFallback(q(-1.5, 0.9, 1.2), DEFAULTS)).toBe(false); // silence: more heat would only invent words
    expect(
      needsFallback(q(-1.5, 0.1, 3.0), { ...DEFAULTS, compressionRatioThreshold: null, logprobThreshold: null }),
    ).toBe(false);
    expect(isSilence(q(-1.5, 0.9, 1), DEFAULTS)).toBe(true);
    expect(isSilence(q(-0.5, 0.9, 1), DEFAULTS)).toBe(false); // confident text wins over the no-speech token
    expect(isSilence(q(-1.5, 0.5, 1), DEFAULTS)).toBe(false);
    expect(isSilence(q(-1.5, 0.9, 1), { ...DEFAULTS, noSpeechThreshold: null })).toBe(false);
  });
});

describe('temperature fallback', () => {
  let noFallback: WhisperOnnxEngine;
  let fallback: WhisperOnnxEngine;
  beforeAll(async () => {
    const dir = tinyModel();
    const common = { language: 'en', timestamps: false, maxNewTokens: 24, bestOf: 2, temperatures: [0, 0.5, 1] };
    [noFallback, fallback] = await Promise.all([
      engineFor(dir, { ...common, logprobThreshold: null, compressionRatioThreshold: null }),
      engineFor(dir, { ...common, logprobThreshold: -1 }),
    ]);
  });
  afterAll(async () => Promise.all([noFallback?.close(), fallback?.close()]));

  it('retries an unlikely decode at higher temperatures, reproducibly and independently of the batch', async () => {
    const samples = [byName('librivox-0870'), byName('librivox-0880'), byName('numbers')];
    const plain = await noFallback.transcribeDetailed(samples.map((s) => ({ samples: s, partial: false })));
    const retried = await fallback.transcribeDetailed(samples.map((s) => ({ samples: s, partial: false })));
    for (const [i, r] of retried.entries()) {
      expect(plain[i]!.temperature).toBe(0);
      // A random model is never confident (avg log-prob far below -1): every temperature is tried.
      expect(plain[i]!.avgLogprob).toBeLessThan(-1);
      expect(r.temperature).toBe(1);
      expect(r.tokens).not.toEqual(plain[i]!.tokens);
      const [alone] = await fallback.transcribeDetailed([{ samples: samples[i]!, partial: false }]);
      expect(alone!.tokens).toEqual(r.tokens);
    }
  });

  it('never retries partials (provisional snapshots trade accuracy for speed)', async () => {
    const [partial] = await fallback.transcribeDetailed([{ samples: byName('librivox-0870'), partial: true }]);
    expect(partial!.temperature).toBe(0);
  });
});

describe('no-speech guard', () => {
  let guarded: WhisperOnnxEngine;
  let unguarded: WhisperOnnxEngine;
  let dir: string;
  beforeAll(async () => {
    // A fixture whose no-speech token is likely, as a trained Whisper's is on silence and noise.
    dir = tinyModel({ noSpeechBias: 16 });
    const common = { language: 'en', timestamps: false, maxNewTokens: 16, temperatures: [0] };
    [guarded, unguarded] = await Promise.all([
      engineFor(dir, common),
      engineFor(dir, { ...common, noSpeechThreshold: null }),
    ]);
  });
  afterAll(async () => Promise.all([guarded?.close(), unguarded?.close()]));

  it('gives no text for silence and noise when the no-speech probability is high and the text unlikely', async () => {
    const quiet = ['silence-1s', 'silence-10s', 'noise-1s', 'noise-5s-low', 'noise-20s-loud'].map(byName);
    const kept = await unguarded.transcribe(
      quiet.map((pcm, i) => ({ id: `${i}`, pcm: Int16Array.from(pcm, (v) => v * 32767), partial: false })),
    );
    expect(kept.every((r) => r.text.length > 0)).toBe(true); // without the guard, a model hallucinates on silence
    const results = await guarded.transcribeDetailed(quiet.map((samples) => ({ samples, partial: false })));
    for (const r of results) {
      expect(r.noSpeechProb).toBeGreaterThan(0.6);
      expect(r.text).toBe('');
      expect(r.segments).toEqual([]);
    }
  });

  it('keeps confident text even when the no-speech token is likely', async () => {
    const confident = await engineFor(dir, {
      language: 'en',
      timestamps: false,
      maxNewTokens: 16,
      temperatures: [0],
      logprobThreshold: -50,
    });
    const [r] = await confident.transcribeDetailed([{ samples: byName('silence-1s'), partial: false }]);
    expect(r!.noSpeechProb).toBeGreaterThan(0.6);
    expect(r!.text.length).toBeGreaterThan(0);
    await confident.close();
  });

  it('reads the no-speech probability at <|startoftranscript|>, after a previous-text prompt', async () => {
    const samples = byName('librivox-0880');
    const [r] = await guarded.transcribeDetailed([{ samples, partial: false, prompt: 'earlier words' }]);
    const model = await WhisperModel.load(dir, { device: { kind: 'cpu', index: 0 }, logger: silentLogger, threads: 1 });
    const s = guarded.tokenizer.specials;
    const previous = [s.startOfPrev, ...guarded.tokenizer.encode(' earlier words')];
    const { logits } = await model.prefill(
      [[...previous, s.sot]],
      await model.encode([new LogMelExtractor(80).extract(samples)]),
    );
    const atSot = logitsAt(logits, 0, previous.length);
    expect(r!.noSpeechProb).toBeCloseTo(Math.exp(atSot[s.noSpeech]! - logSumExp(atSot)), 5);
    await model.release();
  });
});
