import { describe, expect, it } from 'vitest';
import { resample, StreamingResampler } from '../../../shared/audio/resample.ts';
import { mulberry32 } from '../../../shared/random.ts';

function tone(hz: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate),
  );
}

/** The middle of a signal, away from the start-up and flush edges. */
const middle = (x: Float32Array) => x.subarray(Math.floor(x.length * 0.1), Math.floor(x.length * 0.9));
const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
const peak = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const zeroCrossings = (x: Float32Array) =>
  x.reduce((n, v, i) => n + (i > 0 && Math.sign(v) !== Math.sign(x[i - 1]!) ? 1 : 0), 0);

describe('StreamingResampler', () => {
  it.each([
    [48000, 16000],
    [44100, 16000],
    [22050, 16000],
    [8000, 16000],
    [16000, 48000],
    [44101, 16000], // coprime rates: phases are quantised, must still be chunking-invariant
  ])('%i → %i gives the same samples in arbitrary chunks as in one', (from, to) => {
    const random = mulberry32(from + to);
    const input = Float32Array.from({ length: 20011 }, (_, i) => 0.5 * Math.sin(i / 7) + 0.2 * (random() - 0.5));
    const whole = resample(input, from, to);
    expect(whole.length).toBe(Math.ceil((input.length * to) / from));

    const r = new StreamingResampler(from, to);
    const parts: number[] = [];
    for (let i = 0; i < input.length;) {
      const size = random() < 0.2 ? Math.floor(random() * 3) : Math.floor(random() * 2000); // includes 0 and 1
      for (const v of r.push(input.subarray(i, i + size))) parts.push(v);
      i += size;
    }
    for (const v of r.flush()) parts.push(v);
    expect(Float32Array.from(parts)).toEqual(whole);
  });

  it('is reusable after flush', () => {
    const input = tone(300, 48000, 0.1);
    const r = new StreamingResampler(48000, 16000);
    const first = [...r.push(input), ...r.flush()];
    const second = [...r.push(input), ...r.flush()];
    expect(second).toEqual(first);
  });

  it('is the identity when the rates are equal', () => {
    const input = tone(440, 16000, 0.05);
    expect(resample(input, 16000, 16000)).toEqual(input);
  });

  it('rejects rates that are not positive integers', () => {
    expect(() => new StreamingResampler(0, 16000)).toThrow(/fromRate/);
    expect(() => new StreamingResampler(16000, 22050.5)).toThrow(/toRate/);
  });
});

describe('resample quality', () => {
  it('keeps a 440 Hz tone at 48 kHz → 16 kHz at its frequency and amplitude', () => {
    const out = middle(resample(tone(440, 48000, 2), 48000, 16000));
    const seconds = out.length / 16000;
    expect(zeroCrossings(out) / seconds).toBeCloseTo(880, -1); // two crossings per cycle, within ±5
    expect(peak(out)).toBeCloseTo(0.5, 2);
    expect(rms(out)).toBeCloseTo(0.5 / Math.SQRT2, 3);
  });

  it('passes speech frequencies up to 7 kHz unchanged when downsampling', () => {
    for (const hz of [200, 1000, 3400, 7000])
      expect(peak(middle(resample(tone(hz, 44100, 0.5), 44100, 16000)))).toBeCloseTo(0.5, 2);
  });

  it('removes a 10 kHz tone when downsampling 48 kHz → 16 kHz instead of aliasing it to 6 kHz', () => {
    const input = tone(10000, 48000, 1);
    const naive = Float32Array.from({ length: input.length / 3 }, (_, i) => input[i * 3]!);
    expect(rms(middle(naive))).toBeGreaterThan(0.3); // plain decimation: a full-strength 6 kHz alias
    expect(rms(middle(resample(input, 48000, 16000)))).toBeLessThan(0.5e-3); // < -60 dB
  });

  it('keeps a constant constant and a 1 kHz tone intact when upsampling 8 kHz → 16 kHz', () => {
    const dc = middle(resample(new Float32Array(8000).fill(0.25), 8000, 16000));
    for (const v of dc) expect(v).toBeCloseTo(0.25, 6);
    const up = middle(resample(tone(1000, 8000, 1), 8000, 16000));
    expect(zeroCrossings(up) / (up.length / 16000)).toBeCloseTo(2000, -1);
    expect(peak(up)).toBeCloseTo(0.5, 2);
  });
});
