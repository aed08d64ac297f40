/**
 * The production wake-word engine: openWakeWord's three-model pipeline in onnxruntime. Audio (16 kHz) in 80 ms
 * steps → `melspectrogram.onnx` (32 mel bands per 10 ms frame, scaled x/10 + 2 as openWakeWord does) → every 8 new
 * frames, `embedding_model.onnx` over the last 76 frames → a 96-dimensional embedding → the phrase's classifier over
 * the last 16 embeddings → a score in [0, 1]. A score at or above the threshold is a detection; the embedding window
 * then starts afresh, so one utterance of the phrase is one detection. Runs on onnxruntime's threads.
 * Models: `<dir>/melspectrogram.onnx`, `<dir>/embedding_model.onnx`, `<dir>/<phrase with _>.onnx`
 * (openWakeWord's published files; none are downloadable here, so tests use generated random-weight models).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EarshotError } from '../../shared/errors.ts';
import { floatData, floatTensor, OnnxSession } from '../../gpu-runners/backend/onnx.ts';
import {
  DEFAULT_WAKE_SENSITIVITY,
  WAKE_SAMPLE_RATE,
  type WakeDetection,
  type WakeWordDetector,
  type WakeWordFactory,
  type WakeWordSpec,
} from './detector.ts';
import { normalisePhrase } from './sphinx-kws.ts';

/** 80 ms of audio per step, and the 3 frames of context the mel model needs before it (openWakeWord's values). */
export const STEP_SAMPLES = 1280;
const CONTEXT_SAMPLES = 480;
const FRAMES_PER_STEP = 8;
const MEL_WINDOW = 76;
const MEL_BANDS = 32;
const EMBEDDING_WINDOW = 16;
const EMBEDDING_DIM = 96;

export interface OnnxWakeModels {
  melspectrogram: string | Uint8Array;
  embedding: string | Uint8Array;
  classifier: string | Uint8Array;
}

export interface OnnxWakeOptions {
  /** Score threshold; default 1 − sensitivity (0.5). */
  threshold?: number;
  /** Every score as it is computed (tests, tuning). */
  onScore?: (score: number, at: number) => void;
  /** onnxruntime threads per operator (default 1: many sessions, small models). */
  threads?: number;
}

export function wakeModelFiles(dir: string, phrase: string): OnnxWakeModels {
  const files = {
    melspectrogram: path.join(dir, 'melspectrogram.onnx'),
    embedding: path.join(dir, 'embedding_model.onnx'),
    classifier: path.join(dir, `${normalisePhrase(phrase).join('_')}.onnx`),
  };
  const missing = Object.values(files).filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new EarshotError(
      'unsupported_wake_word',
      `no wake-word model for "${phrase.slice(0, 64)}" (missing ${missing.map((f) => path.basename(f)).join(', ')})`,
    );
  return files;
}

export class OnnxWakeDetector implements WakeWordDetector {
  readonly engine = 'onnx-wake';
  readonly #mel: OnnxSession;
  readonly #embedding: OnnxSession;
  readonly #classifier: OnnxSession;
  readonly #phrase: string;
  readonly #threshold: number;
  readonly #onScore: OnnxWakeOptions['onScore'];
  /** Raw samples not yet stepped over, after CONTEXT_SAMPLES of history. */
  #audio = new Float32Array(CONTEXT_SAMPLES);
  #mels: Float32Array[] = [];
  #embeddings: Float32Array[] = [];
  #fed = 0;
  #busy: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    sessions: [OnnxSession, OnnxSession, OnnxSession],
    phrase: string,
    threshold: number,
    onScore: OnnxWakeOptions['onScore'],
  ) {
    [this.#mel, this.#embedding, this.#classifier] = sessions;
    this.#phrase = phrase;
    this.#threshold = threshold;
    this.#onScore = onScore;
  }

  static async create(
    spec: WakeWordSpec,
    models: OnnxWakeModels,
    options: OnnxWakeOptions = {},
  ): Promise<OnnxWakeDetector> {
    const threads = options.threads ?? 1;
    const load = (m: string | Uint8Array) =>
      OnnxSession.create(m, { threads, interOpThreads: 1, failureCode: 'stt_failed' });
    const sessions = await Promise.all([load(models.melspectrogram), load(models.embedding), load(models.classifier)]);
    const threshold = options.threshold ?? 1 - (spec.sensitivity ?? DEFAULT_WAKE_SENSITIVITY);
    return new OnnxWakeDetector(
      sessions as [OnnxSession, OnnxSession, OnnxSession],
      spec.phrase,
      threshold,
      options.onScore,
    );
  }

  process(pcm: Int16Array): Promise<WakeDetection[]> {
    if (this.#closed) return Promise.reject(new EarshotError('engine_unavailable', 'wake-word detector is closed'));
    const run = this.#busy.then(() => this.#step(pcm));
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #step(pcm: Int16Array): Promise<WakeDetection[]> {
    // openWakeWord feeds the mel model int16-valued floats.
    const joined = new Float32Array(this.#audio.length + pcm.length);
    joined.set(this.#audio);
    for (let i = 0; i < pcm.length; i++) joined[this.#audio.length + i] = pcm[i]!;
    this.#audio = joined;
    const detections: WakeDetection[] = [];
    while (this.#audio.length >= CONTEXT_SAMPLES + STEP_SAMPLES && !this.#closed) {
      const window = this.#audio.subarray(0, CONTEXT_SAMPLES + STEP_SAMPLES);
      this.#audio = this.#audio.slice(STEP_SAMPLES);
      this.#fed += STEP_SAMPLES;
      const score = await this.#score(window);
      if (score === undefined) continue;
      const at = this.#fed / WAKE_SAMPLE_RATE;
      this.#onScore?.(score, at);
      if (score >= this.#threshold) {
        detections.push({ phrase: this.#phrase, at });
        this.#embeddings = []; // one detection per utterance of the phrase
      }
    }
    return detections;
  }

  /** One 80 ms step: new mel frames, maybe a new embedding, maybe a score. */
  async #score(window: Float32Array): Promise<number | undefined> {
    const melOut = await this.#mel.run({ [this.#mel.inputNames[0]!]: floatTensor(window, [1, window.length]) });
    const mel = floatData(melOut[this.#mel.outputNames[0]!]);
    const frames = Math.floor(mel.length / MEL_BANDS);
    for (let f = Math.max(0, frames - FRAMES_PER_STEP); f < frames; f++) {
      const frame = new Float32Array(MEL_BANDS);
      for (let b = 0; b < MEL_BANDS; b++) frame[b] = mel[f * MEL_BANDS + b]! / 10 + 2;
      this.#mels.push(frame);
    }
    if (this.#mels.length > MEL_WINDOW) this.#mels.splice(0, this.#mels.length - MEL_WINDOW);
    if (this.#mels.length < MEL_WINDOW) return undefined;
    const melWindow = new Float32Array(MEL_WINDOW * MEL_BANDS);
    this.#mels.forEach((frame, i) => melWindow.set(frame, i * MEL_BANDS));
    const embOut = await this.#embedding.run({
      [this.#embedding.inputNames[0]!]: floatTensor(melWindow, [1, MEL_WINDOW, MEL_BANDS, 1]),
    });
    this.#embeddings.push(floatData(embOut[this.#embedding.outputNames[0]!]).slice(0, EMBEDDING_DIM));
    if (this.#embeddings.length > EMBEDDING_WINDOW) this.#embeddings.shift();
    if (this.#embeddings.length < EMBEDDING_WINDOW) return undefined;
    const features = new Float32Array(EMBEDDING_WINDOW * EMBEDDING_DIM);
    this.#embeddings.forEach((e, i) => features.set(e, i * EMBEDDING_DIM));
    const out = await this.#classifier.run({
      [this.#classifier.inputNames[0]!]: floatTensor(features, [1, EMBEDDING_WINDOW, EMBEDDING_DIM]),
    });
    return floatData(out[this.#classifier.outputNames[0]!])[0]!;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#busy;
    await Promise.all([this.#mel.release(), this.#embedding.release(), this.#classifier.release()]);
  }
}

export const onnxWakeFactory =
  (dir: string, options: OnnxWakeOptions = {}): WakeWordFactory =>
  async (spec) =>
    OnnxWakeDetector.create(spec, wakeModelFiles(dir, spec.phrase), options);
