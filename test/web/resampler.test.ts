/** The AudioWorklet's 16 kHz conversion (edge/web/resampler.js): speech kept, what would alias removed. */
import { describe, expect, it } from 'vitest';
import { Resampler, toPcm16 } from '../../edge/web/resampler.js';

const sine = (hz: number, rate: number, seconds: number) => Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate));
const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

/** Pushes in 128-sample render quanta, as the worklet does. */
function convert(input: Float32Array, from: number): Float32Array {
  const r = new Resampler(from, 16000);
  const parts: number[] = [];
  for (let i = 0; i < input.length; i += 128) parts.push(...r.push(input.subarray(i, i + 128)));
  return Float32Array.from(parts);
}

describe('Resampler', () => {
  for (const rate of [48000, 44100, 22050, 8000]) {
    it(`${rate} Hz → 16 kHz: the right length, a 1 kHz tone intact`, () => {
      const out = convert(sine(1000, rate, 1), rate);
      expect(Math.abs(out.length - 16000)).toBeLessThan(200); // the filter's delay holds back a few ms
      const steady = out.subarray(400, out.length - 400);
      expect(rms(steady)).toBeCloseTo(0.5 / Math.SQRT2, 2);
      // It is still 1 kHz: correlation with a 1 kHz reference of the best phase.
      let best = 0;
      for (let p = 0; p < 16; p++) {
        let dot = 0;
        for (let i = 0; i < steady.length; i++) dot += steady[i]! * Math.sin((2 * Math.PI * 1000 * i) / 16000 + (p * Math.PI) / 8);
        best = Math.max(best, dot / (steady.length * 0.25));
      }
      expect(best).toBeGreaterThan(0.98);
    });
  }

  it('removes content above 8 kHz that would fold into speech (48 kHz input)', () => {
    const out = convert(sine(11000, 48000, 1), 48000);
    expect(rms(out.subarray(400))).toBeLessThan(0.005); // > 40 dB down from 0.35
  });

  it('gives the same output however the input is chunked', () => {
    const input = sine(440, 44100, 0.3);
    const whole = new Resampler(44100, 16000).push(input);
    expect(convert(input, 44100)).toEqual(whole);
  });

  it('converts floats to PCM16 with clipping', () => {
    expect([...toPcm16(Float32Array.from([0, 1, -1, 2, -2, 0.5]))]).toEqual([0, 32767, -32768, 32767, -32768, 16384]);
  });
});
