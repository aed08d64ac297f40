/**
 * Holds a session's audio back from captioning until its wake word is heard. Audio passes through in order: while
 * the gate waits, each chunk goes to the detector and then on as silence of the same length (so the session's
 * timeline, resume points and caption times stay true, and the phrase itself is never captioned); after a
 * detection, audio passes as it is. In `utterance` mode the session calls `rearm()` after each utterance, and the
 * gate waits for the phrase again (an assistant's command turn).
 *
 * Detection is asynchronous (native threads); chunks that arrive meanwhile wait here, bounded: when the detector
 * falls more than `maxPendingSeconds` (30 s) behind, the oldest chunks pass on as silence unexamined (logged), so a slow
 * detector costs missed detections, never memory or the session's audio order.
 */
import { EarshotError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { WAKE_SAMPLE_RATE, type WakeDetection, type WakeWordDetector, type WakeWordFactory } from './detector.ts';

export interface WakeGateOptions {
  /** Audio waiting for the detector, at most (default 30 s, 960 KB). */
  maxPendingSeconds?: number;
  /** Called in order with the audio to caption (silence while waiting). */
  onAudio(pcm: Int16Array): void;
  /** Called when the phrase is heard; `at` is seconds of audio since the gate was made (the end of the chunk). */
  onWake(detection: WakeDetection): void;
  logger: Logger;
}

export class WakeGate {
  readonly #detector: WakeWordDetector;
  readonly #options: WakeGateOptions;
  #armed = true;
  #pending: Int16Array[] = [];
  #pendingSamples = 0;
  #running: Promise<void> | null = null;
  #closed = false;
  #skipped = 0;
  /** Samples passed on so far: detection times are counted here, since skipped chunks never reach the detector. */
  #position = 0;

  constructor(detector: WakeWordDetector, options: WakeGateOptions) {
    this.#detector = detector;
    this.#options = options;
  }

  get armed(): boolean {
    return this.#armed;
  }

  push(pcm: Int16Array): void {
    if (this.#closed || pcm.length === 0) return;
    if (!this.#armed && !this.#running) return this.#pass(pcm);
    this.#pending.push(pcm.slice());
    this.#pendingSamples += pcm.length;
    const max = (this.#options.maxPendingSeconds ?? 30) * WAKE_SAMPLE_RATE;
    while (this.#armed && this.#pendingSamples > max && this.#pending.length > 1) {
      const oldest = this.#pending.shift()!;
      this.#pendingSamples -= oldest.length;
      this.#skipped += oldest.length;
      this.#pass(new Int16Array(oldest.length));
    }
    this.#running ??= this.#pump().finally(() => (this.#running = null));
  }

  /** Wait for the phrase again (after the utterance that followed it). */
  rearm(): void {
    this.#armed = true;
  }

  /** Resolves once every chunk pushed so far has passed on. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #pump(): Promise<void> {
    while (this.#pending.length > 0 && !this.#closed) {
      const chunk = this.#pending.shift()!;
      this.#pendingSamples -= chunk.length;
      if (!this.#armed) {
        this.#pass(chunk);
        continue;
      }
      let detections: WakeDetection[] = [];
      try {
        detections = await this.#detector.process(chunk);
      } catch (err) {
        this.#options.logger.warn({ err }, 'wake-word detector failed on a chunk; it passes as silence');
      }
      if (this.#closed) return;
      // The chunk holding the end of the phrase is silence too: the phrase is not part of the captions.
      this.#pass(new Int16Array(chunk.length));
      if (detections.length > 0) {
        this.#armed = false;
        if (this.#skipped > 0)
          this.#options.logger.warn(
            { seconds: this.#skipped / WAKE_SAMPLE_RATE },
            'wake-word detector fell behind; audio passed unexamined',
          );
        this.#skipped = 0;
        this.#options.onWake({ phrase: detections[0]!.phrase, at: this.#position / WAKE_SAMPLE_RATE });
      }
    }
  }

  #pass(pcm: Int16Array): void {
    this.#position += pcm.length;
    this.#options.onAudio(pcm);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#running?.catch(() => undefined);
    await this.#detector.close();
  }
}

/** Bounds the detectors alive at once (each holds a decoder or a model session): one more is refused as `overloaded`. */
export function boundedWakeFactory(factory: WakeWordFactory, max: number): WakeWordFactory {
  let active = 0;
  return async (spec) => {
    if (active >= max)
      throw new EarshotError('overloaded', `this edge is already listening for ${max} wake words; try again later`);
    active += 1;
    let detector: WakeWordDetector;
    try {
      detector = await factory(spec);
    } catch (err) {
      active -= 1;
      throw err;
    }
    let closed = false;
    return {
      engine: detector.engine,
      process: (pcm) => detector.process(pcm),
      close: async () => {
        if (closed) return;
        closed = true;
        active -= 1;
        await detector.close();
      },
    };
  };
}
