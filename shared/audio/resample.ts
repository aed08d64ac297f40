/**
 * Band-limited sample-rate conversion for speech, streaming and chunking-invariant.
 *
 * Each output sample is a Kaiser-windowed sinc evaluated around its position in the input (Smith's
 * band-limited interpolation). The sinc's cutoff sits just below the lower of the two Nyquist frequencies, so
 * one kernel both anti-aliases when downsampling and suppresses images when upsampling. The rate ratio is
 * reduced to L/M and the kernel precomputed for each of the L fractional phases (polyphase), so no trigonometry
 * runs per sample. No runtime-specific imports: this runs in Node, browsers and Workers.
 */

/** Zero crossings of the sinc kept on each side: ~80 dB stopband with a transition of ~8 % of the lower rate. */
const ZERO_CROSSINGS = 32;
/** Cutoff as a fraction of the lower Nyquist frequency, so the transition band ends near Nyquist. */
const ROLLOFF = 0.95;
const KAISER_BETA = 8;
/** Odd rate pairs (e.g. 44101 → 16000) would need huge tables; their phases are rounded to this many instead. */
const MAX_PHASES = 1024;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/**
 * Stateful resampler: `push` chunks of any size, then `flush` once at the end. The concatenated output is
 * identical however the input was chunked, and output sample n lines up with input time n / toRate (no delay).
 * The total output length is ceil(inputLength × toRate / fromRate). After `flush` the resampler is reset and
 * may be reused for a new stream.
 */
export class StreamingResampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Input step per output sample is M / L input samples. */
  readonly #L: number;
  readonly #M: number;
  readonly #phases: number;
  /** Taps on each side of the output position; a phase's kernel covers input offsets -(half-1) … half. */
  readonly #half: number;
  /** `#phases` kernels of 2·half taps each, phase-major. */
  readonly #kernels: Float32Array;

  /** Input samples from absolute index `#bufStart` on; indices below 0 are the zero padding before the stream. */
  #buf = new Float32Array(0);
  #bufStart = 0;
  /** Integer input position and phase (in units of 1/L) of the next output sample. */
  #pos = 0;
  #phase = 0;
  #inputCount = 0;
  #outputCount = 0;

  constructor(fromRate: number, toRate: number) {
    for (const [name, rate] of [
      ['fromRate', fromRate],
      ['toRate', toRate],
    ] as const) {
      if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`${name} must be a positive integer, got ${rate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.#L = toRate / g;
    this.#M = fromRate / g;
    this.#phases = Math.min(this.#L, MAX_PHASES);
    // Cutoff in cycles per input sample; the kernel widens when downsampling so the filter is as sharp
    // relative to the output rate.
    const cutoff = 0.5 * ROLLOFF * Math.min(1, toRate / fromRate);
    const width = ZERO_CROSSINGS / (2 * cutoff);
    this.#half = Math.ceil(width);
    this.#kernels = new Float32Array(fromRate === toRate ? 0 : this.#phases * 2 * this.#half);
    const i0Beta = besselI0(KAISER_BETA);
    for (let p = 0; p < this.#kernels.length / (2 * this.#half); p++) {
      const frac = p / this.#phases;
      const base = p * 2 * this.#half;
      let sum = 0;
      for (let t = 0; t < 2 * this.#half; t++) {
        const d = t - (this.#half - 1) - frac; // input sample minus output position, in input samples
        const r = d / width;
        if (Math.abs(r) >= 1) continue;
        const x = 2 * cutoff * d;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const v = 2 * cutoff * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta);
        this.#kernels[base + t] = v;
        sum += v;
      }
      // Unity DC gain for every phase, so a constant input stays exactly constant.
      for (let t = 0; t < 2 * this.#half; t++) this.#kernels[base + t]! /= sum;
    }
    this.#reset();
  }

  #reset(): void {
    // Pre-pad with zeros so the first outputs can see `half - 1` samples "before" the stream.
    this.#buf = new Float32Array(this.#half - 1);
    this.#bufStart = -(this.#half - 1);
    this.#pos = 0;
    this.#phase = 0;
    this.#inputCount = 0;
    this.#outputCount = 0;
  }

  /** Feeds input samples; returns the output samples that are now fully determined. */
  push(input: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return input.slice();
    this.#inputCount += input.length;
    this.#append(input);
    return this.#drain(Infinity);
  }

  /** Ends the stream: returns the remaining output (treating the input as followed by silence) and resets. */
  flush(): Float32Array {
    if (this.fromRate === this.toRate) return new Float32Array(0);
    const total = Math.ceil((this.#inputCount * this.#L) / this.#M);
    this.#append(new Float32Array(this.#half + 1));
    const out = this.#drain(total - this.#outputCount);
    this.#reset();
    return out;
  }

  #append(input: Float32Array): void {
    const next = new Float32Array(this.#buf.length + input.length);
    next.set(this.#buf);
    next.set(input, this.#buf.length);
    this.#buf = next;
  }

  /** Computes up to `limit` outputs whose kernel support lies inside the buffer, then drops consumed input. */
  #drain(limit: number): Float32Array {
    const half = this.#half;
    const taps = 2 * half;
    // Output k from now sits at (pos·L + phase + k·M) / L and reads input up to floor(that) + half, one more when
    // its phase may round up to the next sample; count the k whose reach stays below `end`.
    const end = this.#bufStart + this.#buf.length; // one past the last buffered input index
    const margin = this.#phases < this.#L ? 1 : 0;
    const available = Math.max(0, Math.ceil(((end - half - margin - this.#pos) * this.#L - this.#phase) / this.#M));
    const count = Math.min(limit, available);
    const out = new Float32Array(count);
    const buf = this.#buf;
    const kernels = this.#kernels;
    const phaseScale = this.#phases / this.#L;
    for (let n = 0; n < count; n++) {
      let pos = this.#pos;
      let p = Math.round(this.#phase * phaseScale);
      if (p === this.#phases) [pos, p] = [pos + 1, 0]; // rounding reached the next input sample
      const first = pos - (half - 1) - this.#bufStart;
      const base = p * taps;
      let acc = 0;
      for (let t = 0; t < taps; t++) acc += buf[first + t]! * kernels[base + t]!;
      out[n] = acc;
      this.#phase += this.#M;
      this.#pos += Math.floor(this.#phase / this.#L);
      this.#phase %= this.#L;
    }
    this.#outputCount += count;
    // Keep only what the next output's kernel can reach.
    const keepFrom = this.#pos - (half - 1);
    if (keepFrom > this.#bufStart) {
      this.#buf = this.#buf.slice(keepFrom - this.#bufStart);
      this.#bufStart = keepFrom;
    }
    return out;
  }
}

/** One-shot conversion of a whole signal; see {@link StreamingResampler}. */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  const r = new StreamingResampler(fromRate, toRate);
  const head = r.push(input);
  const tail = r.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
