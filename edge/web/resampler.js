// @ts-check
/**
 * Streaming sample-rate conversion to the pipeline's 16 kHz, for the AudioWorklet (which runs at the device's
 * rate, usually 48 or 44.1 kHz). A Kaiser-windowed sinc evaluated around each output position, precomputed for
 * a bounded number of fractional phases, so the audio thread does no trigonometry. The cutoff sits below the
 * lower Nyquist frequency, which is what keeps 8–24 kHz content from folding into speech as aliasing.
 * Plain JavaScript (JSDoc-typed) because the browser loads it as is; tested in Node.
 */

const ZERO_CROSSINGS = 16;
const ROLLOFF = 0.92;
const KAISER_BETA = 7;
const MAX_PHASES = 256;

/** @param {number} x */
function besselI0(x) {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/** @param {number} a @param {number} b */
function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class Resampler {
  /** @param {number} fromRate @param {number} toRate */
  constructor(fromRate, toRate) {
    if (!(fromRate > 0 && toRate > 0)) throw new RangeError(`bad rates ${fromRate} → ${toRate}`);
    this.fromRate = Math.round(fromRate);
    this.toRate = Math.round(toRate);
    const g = gcd(this.fromRate, this.toRate);
    /** Input samples advanced per output sample, as the exact fraction M / L. */
    this.L = this.toRate / g;
    this.M = this.fromRate / g;
    this.phases = Math.min(this.L, MAX_PHASES);
    const cutoff = 0.5 * ROLLOFF * Math.min(1, this.toRate / this.fromRate);
    this.half = Math.ceil(ZERO_CROSSINGS / (2 * cutoff));
    this.kernels = new Float32Array(this.phases * 2 * this.half);
    const i0 = besselI0(KAISER_BETA);
    for (let p = 0; p < this.phases; p++) {
      const frac = p / this.phases;
      for (let k = 0; k < 2 * this.half; k++) {
        // Tap k weighs input (floor(t) - half + 1 + k), at distance d from the output time t.
        const d = k - this.half + 1 - frac;
        const x = 2 * cutoff * d;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = d / this.half;
        const window = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0;
        this.kernels[p * 2 * this.half + k] = 2 * cutoff * sinc * window;
      }
    }
    // History: the last 2·half input samples before `buffer`'s new data, zeros before the stream starts.
    this.buffer = new Float32Array(2 * this.half);
    /** Position of the next output in input samples relative to buffer[half - 1], as integer + numerator/L. */
    this.pos = 0;
    this.num = 0;
  }

  /**
   * Converts the next chunk; output arrives with a fixed delay of `half` input samples (a few ms).
   * @param {Float32Array} input
   * @returns {Float32Array}
   */
  push(input) {
    if (this.fromRate === this.toRate) return input.slice();
    const joined = new Float32Array(this.buffer.length + input.length);
    joined.set(this.buffer);
    joined.set(input, this.buffer.length);
    const out = [];
    const taps = 2 * this.half;
    // Output needs inputs up to pos + half; stop when they have not arrived yet.
    while (this.pos + taps <= joined.length) {
      const phase = Math.floor((this.num * this.phases) / this.L);
      const kernel = phase * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += (joined[this.pos + k] ?? 0) * (this.kernels[kernel + k] ?? 0);
      out.push(acc);
      this.num += this.M;
      this.pos += Math.floor(this.num / this.L);
      this.num %= this.L;
    }
    const keep = Math.min(joined.length, Math.max(taps, joined.length - this.pos));
    const consumed = joined.length - keep;
    this.buffer = joined.slice(consumed);
    this.pos -= consumed;
    return Float32Array.from(out);
  }
}

/**
 * Float samples in [-1, 1] to PCM16, clipping rather than wrapping around.
 * @param {Float32Array} samples
 * @returns {Int16Array}
 */
export function toPcm16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i] ?? 0));
    out[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
  }
  return out;
}
