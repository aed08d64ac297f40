/**
 * How long a fitted encoder window is: the utterance plus a margin, at least a floor, rounded up to whole seconds
 * (so utterances of similar lengths share a bucket and an encoder call), never less than the frames that hold the
 * audio (so the features equal the first frames of a 30 s window's) and never more than 30 s.
 */
import { framesFor, SAMPLE_RATE } from './features.ts';
import { SOURCE_POSITIONS } from './encoder-window.ts';
import type { WhisperOptions } from './options.ts';

/** Encoder positions per second of audio (two 10 ms frames per position). */
export const POSITIONS_PER_SECOND = 50;
/** Window lengths are whole seconds. */
export const BUCKET_POSITIONS = POSITIONS_PER_SECOND;

type FitOptions = Pick<WhisperOptions, 'fitFloorSeconds' | 'fitPartialFloorSeconds' | 'fitMarginSeconds'>;

/** Encoder positions (P, the window is 2·P frames) for `samples` samples of a final or a partial. */
export function fitPositions(samples: number, partial: boolean, options: FitOptions): number {
  const floor = partial ? options.fitPartialFloorSeconds : options.fitFloorSeconds;
  const seconds = Math.max(floor, samples / SAMPLE_RATE + options.fitMarginSeconds);
  const wanted = Math.max(seconds * POSITIONS_PER_SECOND, Math.ceil(framesFor(samples) / 2));
  return Math.min(SOURCE_POSITIONS, Math.ceil(wanted / BUCKET_POSITIONS - 1e-9) * BUCKET_POSITIONS);
}
