/**
 * A mixed-radix complex FFT for one fixed length. Whisper's window is 400 samples (2⁴·5²), not a power of two, so
 * a radix-2 FFT would need zero padding and change the frequency bins; a direct DFT would cost ~10× more.
 */

export class Fft {
  readonly size: number;
  readonly #factors: number[];
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  readonly #scratchRe: Float64Array;
  readonly #scratchIm: Float64Array;

  constructor(size: number) {
    this.size = size;
    this.#factors = factorize(size);
    this.#cos = new Float64Array(size);
    this.#sin = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      this.#cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.#sin[i] = -Math.sin((2 * Math.PI * i) / size);
    }
    const largest = Math.max(...this.#factors, 1);
    this.#scratchRe = new Float64Array(largest);
    this.#scratchIm = new Float64Array(largest);
  }

  /** The DFT of a real signal of `size` samples into `re`/`im` (each `size` long). */
  realTransform(input: Float64Array, re: Float64Array, im: Float64Array): void {
    this.#recurse(input, 0, 1, this.size, 0, re, im, 0);
  }

  /** Decimation in time: split into p interleaved subsequences, transform each, combine with p-point DFTs. */
  #recurse(
    x: Float64Array,
    inOffset: number,
    stride: number,
    n: number,
    level: number,
    re: Float64Array,
    im: Float64Array,
    outOffset: number,
  ): void {
    if (n === 1) {
      re[outOffset] = x[inOffset]!;
      im[outOffset] = 0;
      return;
    }
    const p = this.#factors[level]!;
    const m = n / p;
    for (let r = 0; r < p; r++)
      this.#recurse(x, inOffset + r * stride, stride * p, m, level + 1, re, im, outOffset + r * m);
    const step = this.size / n; // twiddle index step for W_n
    const pStep = this.size / p; // for W_p
    const tRe = this.#scratchRe;
    const tIm = this.#scratchIm;
    for (let k = 0; k < m; k++) {
      for (let r = 0; r < p; r++) {
        const i = outOffset + r * m + k;
        const w = (r * k * step) % this.size;
        const c = this.#cos[w]!;
        const s = this.#sin[w]!;
        tRe[r] = re[i]! * c - im[i]! * s;
        tIm[r] = re[i]! * s + im[i]! * c;
      }
      for (let q = 0; q < p; q++) {
        let sumRe = 0;
        let sumIm = 0;
        for (let r = 0; r < p; r++) {
          const w = ((r * q) % p) * pStep;
          const c = this.#cos[w]!;
          const s = this.#sin[w]!;
          sumRe += tRe[r]! * c - tIm[r]! * s;
          sumIm += tRe[r]! * s + tIm[r]! * c;
        }
        re[outOffset + k + q * m] = sumRe;
        im[outOffset + k + q * m] = sumIm;
      }
    }
  }
}

/** Prime factors, 4s first (a radix-4 pass is cheaper than two radix-2 passes). */
function factorize(n: number): number[] {
  const factors: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    factors.push(4);
    rest /= 4;
  }
  for (let f = 2; rest > 1; f++) {
    while (rest % f === 0) {
      factors.push(f);
      rest /= f;
    }
  }
  return factors;
}
