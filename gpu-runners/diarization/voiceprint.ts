/**
 * The embedded speaker embedding ("voiceprint") of one utterance: statistics of its MFCCs over its voiced frames.
 * The mean of the cepstrum describes the speaker's vocal tract and channel (formants, timbre), its spread how the
 * voice moves; both are normalised so no coefficient dominates the distance. Plain arithmetic, no model: it tells
 * apart voices as different as two readers, a man and a woman, or two microphones, not twins.
 */
import { Fft } from '../engines/whisper-onnx/fft.ts';

const SAMPLE_RATE = 16000;
const WINDOW = 400; // 25 ms
const HOP = 160; // 10 ms
const MEL_BANDS = 40;
const CEPSTRA = 20; // c1..c19 kept (c0 is loudness, not voice)
const LOW_HZ = 60;
const HIGH_HZ = 7600;
/** Frames more than this far (dB) below the loudest are pauses, not voice. */
const VOICED_RANGE_DB = 35;
/** A longest utterance analysed (s): a voiceprint needs seconds, not minutes, and must stay cheap. */
const MAX_SECONDS = 30;

export const VOICEPRINT_DIMENSIONS = 2 * (CEPSTRA - 1);

const melOf = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const hzOf = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

function melFilters(): Float64Array[] {
  const bins = WINDOW / 2 + 1;
  const points = Array.from({ length: MEL_BANDS + 2 }, (_, i) =>
    hzOf(melOf(LOW_HZ) + ((melOf(HIGH_HZ) - melOf(LOW_HZ)) * i) / (MEL_BANDS + 1)),
  );
  return Array.from({ length: MEL_BANDS }, (_, m) => {
    const filter = new Float64Array(bins);
    const [lo, mid, hi] = [points[m]!, points[m + 1]!, points[m + 2]!];
    for (let k = 0; k < bins; k++) {
      const hz = (k * SAMPLE_RATE) / WINDOW;
      if (hz > lo && hz < hi) filter[k] = hz <= mid ? (hz - lo) / (mid - lo) : (hi - hz) / (hi - mid);
    }
    return filter;
  });
}

const FILTERS = melFilters();
const HAMMING = Float64Array.from(
  { length: WINDOW },
  (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (WINDOW - 1)),
);
const DCT = Array.from({ length: CEPSTRA }, (_, c) =>
  Float64Array.from({ length: MEL_BANDS }, (_, m) => Math.cos((Math.PI * c * (m + 0.5)) / MEL_BANDS)),
);

/** MFCC frames (c0..c19) and each frame's log energy, of 16 kHz PCM16. */
export function mfcc(pcm: Int16Array): { cepstra: Float64Array[]; energy: number[] } {
  const fft = new Fft(WINDOW);
  const frame = new Float64Array(WINDOW);
  const re = new Float64Array(WINDOW);
  const im = new Float64Array(WINDOW);
  const power = new Float64Array(WINDOW / 2 + 1);
  const logMel = new Float64Array(MEL_BANDS);
  const cepstra: Float64Array[] = [];
  const energy: number[] = [];
  const length = Math.min(pcm.length, MAX_SECONDS * SAMPLE_RATE);
  for (let start = 0; start + WINDOW <= length; start += HOP) {
    let e = 0;
    let previous = start > 0 ? pcm[start - 1]! / 32768 : 0;
    for (let n = 0; n < WINDOW; n++) {
      const x = pcm[start + n]! / 32768;
      frame[n] = (x - 0.97 * previous) * HAMMING[n]!; // pre-emphasis, as speech front ends do
      previous = x;
      e += x * x;
    }
    fft.realTransform(frame, re, im);
    for (let k = 0; k < power.length; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    for (let m = 0; m < MEL_BANDS; m++) {
      let sum = 0;
      const filter = FILTERS[m]!;
      for (let k = 0; k < power.length; k++) sum += filter[k]! * power[k]!;
      logMel[m] = Math.log(sum + 1e-10);
    }
    const c = new Float64Array(CEPSTRA);
    for (let i = 0; i < CEPSTRA; i++) {
      let sum = 0;
      for (let m = 0; m < MEL_BANDS; m++) sum += DCT[i]![m]! * logMel[m]!;
      c[i] = sum;
    }
    cepstra.push(c);
    energy.push(10 * Math.log10(e / WINDOW + 1e-12));
  }
  return { cepstra, energy };
}

/**
 * The voiceprint: mean and standard deviation of c1..c19 over voiced frames, each coefficient divided by its
 * index-dependent typical scale (higher cepstra are smaller), so the vector is usable with a cosine or Euclidean
 * distance directly. Empty when the utterance has no voiced frame.
 */
export function voiceprint(pcm: Int16Array): Float32Array {
  const { cepstra, energy } = mfcc(pcm);
  if (cepstra.length === 0) return new Float32Array(0);
  const loudest = Math.max(...energy);
  const voiced = cepstra.filter((_, i) => energy[i]! > loudest - VOICED_RANGE_DB && energy[i]! > -70);
  if (voiced.length === 0) return new Float32Array(0);
  const out = new Float32Array(VOICEPRINT_DIMENSIONS);
  for (let c = 1; c < CEPSTRA; c++) {
    let sum = 0;
    for (const f of voiced) sum += f[c]!;
    const mean = sum / voiced.length;
    let square = 0;
    for (const f of voiced) square += (f[c]! - mean) ** 2;
    const std = Math.sqrt(square / voiced.length);
    // Cepstral liftering by index: c_n shrinks roughly as 1/n for speech, so scaling by n evens them out.
    out[c - 1] = (mean * c) / 10;
    out[CEPSTRA - 1 + c - 1] = (std * c) / 10;
  }
  return out;
}
