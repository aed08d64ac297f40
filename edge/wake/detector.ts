/**
 * Wake-word detection: a streaming detector fed 16 kHz PCM16 in order, answering where a phrase was heard.
 * Two engines sit behind this interface: pocketsphinx keyphrase spotting (sphinx-kws.ts, the embedded default) and
 * an openWakeWord-style ONNX pipeline (onnx-wake.ts). Both run their work off the event loop (koffi's and
 * onnxruntime's native threads), so a session waiting for its phrase costs the edge's loop nothing but copying.
 */
export interface WakeDetection {
  /** The phrase heard (as configured). */
  phrase: string;
  /** Seconds of audio fed (since the detector was made) when the phrase was detected: the end of the phrase. */
  at: number;
}

export interface WakeWordDetector {
  readonly engine: string;
  /** Feeds the next audio (16 kHz mono); resolves with the detections that end in it. Calls must not overlap. */
  process(pcm: Int16Array): Promise<WakeDetection[]>;
  /** Frees native resources; the detector cannot be used afterwards. */
  close(): Promise<void>;
}

export interface WakeWordSpec {
  phrase: string;
  /**
   * Engine-specific sensitivity in [0, 1]: higher detects more (and falsely accepts more). Sphinx maps it onto its
   * keyphrase threshold (kws_threshold, 1e-5 … 1e-45), ONNX onto the classifier's score threshold (1 − s).
   */
  sensitivity?: number;
}

/** Makes a detector for a phrase; throws `unsupported_wake_word` when the engine cannot spot it. */
export type WakeWordFactory = (spec: WakeWordSpec) => Promise<WakeWordDetector>;

export const WAKE_SAMPLE_RATE = 16000;
/** Default sensitivity of both engines, chosen on the benchmark (bench/wake.ts; docs/wake-word.md). */
export const DEFAULT_WAKE_SENSITIVITY = 0.5;
