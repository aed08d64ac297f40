/**
 * What an upload may declare before it is decoded: a sample rate some recorder uses, a plausible number of
 * channels, and a duration under EARSHOT_MAX_AUDIO_SECONDS. A header is a few bytes that can claim anything (an
 * 8 KB WAV "at 1 Hz" is 8,000 s of audio once resampled to 16 kHz), so it is judged before it costs memory or time.
 */
import { EarshotError } from '../../shared/errors.ts';

export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 384_000;
/** 22.2 surround has 24; nothing spoken needs more. */
export const MAX_CHANNELS = 32;

export interface DeclaredAudio {
  sampleRate: number;
  channels?: number;
  /** Known for WAV (from the data size); for other formats the decoder's output is counted instead. */
  seconds?: number;
}

/** Throws `bad_sample_rate`, `too_many_channels` or `audio_too_long`. */
export function checkDeclaredAudio(audio: DeclaredAudio, maxSeconds: number): void {
  if (!(audio.sampleRate >= MIN_SAMPLE_RATE && audio.sampleRate <= MAX_SAMPLE_RATE)) {
    throw new EarshotError(
      'bad_sample_rate',
      `the file declares a sample rate of ${audio.sampleRate} Hz; ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz is accepted`,
    );
  }
  if (audio.channels !== undefined && audio.channels > MAX_CHANNELS) {
    throw new EarshotError(
      'too_many_channels',
      `the file declares ${audio.channels} channels; at most ${MAX_CHANNELS} are accepted`,
    );
  }
  if (audio.seconds !== undefined && audio.seconds > maxSeconds) throw audioTooLong(maxSeconds, audio.seconds);
}

export function audioTooLong(maxSeconds: number, seconds?: number): EarshotError {
  const what = seconds === undefined ? 'the audio is longer' : `the audio is ${Math.round(seconds)} s, longer`;
  return new EarshotError(
    'audio_too_long',
    `${what} than the limit of ${maxSeconds} s (EARSHOT_MAX_AUDIO_SECONDS); send it in parts`,
  );
}
