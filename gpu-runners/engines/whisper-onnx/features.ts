/**
 * Whisper's input features: a log-mel spectrogram of 30 s of 16 kHz audio (shorter audio is zero-padded), 80 mel
 * bins (tiny … large-v2) or 128 (large-v3), 3000 frames of 10 ms. Numerics follow Whisper/transformers: a centred
 * STFT (reflect padding, periodic Hann window of 400, hop 160), power spectrum, Slaney mel filters up to 8 kHz,
 * log10 with a 1e-10 floor, a dynamic range of 8 (80 dB) below the maximum, then (x + 4) / 4.
 */
import { Fft } from './fft.ts';

export const SAMPLE_RATE = 16000;
export const N_FFT = 400;
export const HOP_LENGTH = 160;
/** One window: 30 s. */
export const CHUNK_SAMPLES = 30 * SAMPLE_RATE;
export const CHUNK_FRAMES = CHUNK_SAMPLES / HOP_LENGTH;

/** Frames whose analysis window reaches into the first `samples` samples: fewer would change the features' scale. */
export function framesFor(samples: number): number {
  return Math.min(CHUNK_FRAMES, Math.ceil((Math.min(samples, CHUNK_SAMPLES) + N_FFT / 2) / HOP_LENGTH));
}

const BINS = N_FFT / 2 + 1;
const MEL_FLOOR = 1e-10;

/** Hertz → mel on the Slaney scale (linear below 1 kHz, logarithmic above). */
function hzToMel(hz: number): number {
  return hz >= 1000 ? 15 + Math.log(hz / 1000) * (27 / Math.log(6.4)) : (3 * hz) / 200;
}

function melToHz(mel: number): number {
  return mel >= 15 ? 1000 * Math.exp((Math.log(6.4) / 27) * (mel - 15)) : (200 * mel) / 3;
}

/** Slaney-normalized triangular filters, [nMels][BINS]. */
export function melFilters(nMels: number): Float64Array[] {
  const linspace = (a: number, b: number, n: number) =>
    Float64Array.from({ length: n }, (_, i) => a + ((b - a) / (n - 1)) * i);
  const fftFreqs = linspace(0, SAMPLE_RATE / 2, BINS);
  const edges = linspace(hzToMel(0), hzToMel(8000), nMels + 2).map(melToHz);
  return Array.from({ length: nMels }, (_, m) => {
    const filter = new Float64Array(BINS);
    const lower = edges[m]!;
    const centre = edges[m + 1]!;
    const upper = edges[m + 2]!;
    const norm = 2 / (upper - lower);
    for (let j = 0; j < BINS; j++) {
      const f = fftFreqs[j]!;
      const down = (f - lower) / (centre - lower);
      const up = (upper - f) / (upper - centre);
      filter[j] = Math.max(0, Math.min(down, up)) * norm;
    }
    return filter;
  });
}

export class LogMelExtractor {
  readonly nMels: number;
  readonly #filters: Float64Array[];
  /** Each filter's non-zero span, so the mel projection skips the zeros. */
  readonly #spans: [number, number][];
  readonly #window: Float64Array;
  readonly #fft = new Fft(N_FFT);

  constructor(nMels: number) {
    this.nMels = nMels;
    this.#filters = melFilters(nMels);
    this.#spans = this.#filters.map((f) => {
      const first = f.findIndex((v) => v > 0);
      const last = f.findLastIndex((v) => v > 0);
      return first < 0 ? [0, 0] : [first, last + 1];
    });
    this.#window = Float64Array.from({ length: N_FFT }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N_FFT));
  }

  /**
   * Features of up to 30 s of audio (longer input is cut): [nMels, frames], row-major. With `frames` below 3000 they
   * are the first frames of the 30 s window's features (a fitted encoder window), computed without the 30 s buffers;
   * they equal them exactly when the frames cover the audio ({@link framesFor}), since the scale's maximum is then
   * the same.
   */
  extract(samples: Float32Array, frames = CHUNK_FRAMES): Float32Array {
    const used = Math.min(samples.length, CHUNK_SAMPLES);
    const pad = N_FFT / 2;
    // The 30 s window as Whisper sees it: the audio, zeros after it, reflected at both ends.
    const at = (i: number) => {
      const j = i < 0 ? -i : i >= CHUNK_SAMPLES ? 2 * (CHUNK_SAMPLES - 1) - i : i;
      return j < used ? samples[j]! : 0;
    };
    const mel = new Float32Array(this.nMels * frames);
    const frame = new Float64Array(N_FFT);
    const re = new Float64Array(N_FFT);
    const im = new Float64Array(N_FFT);
    const power = new Float32Array(BINS);
    for (let t = 0; t < frames; t++) {
      const start = t * HOP_LENGTH - pad;
      // Frames wholly inside the zero padding have no energy: skip their FFT (most of a short utterance's 30 s).
      if (start >= used && used < CHUNK_SAMPLES - N_FFT) {
        for (let m = 0; m < this.nMels; m++) mel[m * frames + t] = 0;
        continue;
      }
      for (let j = 0; j < N_FFT; j++) frame[j] = at(start + j) * this.#window[j]!;
      this.#fft.realTransform(frame, re, im);
      for (let j = 0; j < BINS; j++) power[j] = re[j]! ** 2 + im[j]! ** 2;
      for (let m = 0; m < this.nMels; m++) {
        const filter = this.#filters[m]!;
        const [from, to] = this.#spans[m]!;
        let sum = 0;
        for (let j = from; j < to; j++) sum += filter[j]! * power[j]!;
        mel[m * frames + t] = sum;
      }
    }
    let max = -Infinity;
    for (let i = 0; i < mel.length; i++) {
      const v = Math.log10(Math.max(MEL_FLOOR, mel[i]!));
      mel[i] = v;
      if (mel[i]! > max) max = mel[i]!;
    }
    const threshold = max - 8;
    for (let i = 0; i < mel.length; i++) mel[i] = (Math.max(mel[i]!, threshold) + 4) / 4;
    return mel;
  }
}
