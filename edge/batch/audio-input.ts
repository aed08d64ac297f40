/**
 * Turns an uploaded file into 16 kHz mono PCM16. WAV is decoded natively (any rate, channels and sample format
 * shared/audio/wav.ts reads); everything else, and WAV encodings it does not read (µ-law, ADPCM), goes through
 * ffmpeg. Without ffmpeg such files get a 415 that names the format and the fix.
 */
import { downmix, floatToPcm16 } from '../../shared/audio/pcm.ts';
import { resample } from '../../shared/audio/resample.ts';
import { decodeWav, WavFormatError } from '../../shared/audio/wav.ts';
import { EarshotError } from '../../shared/errors.ts';
import { FfmpegDecodeError, FfmpegMissingError, ffmpegToPcm16 } from './ffmpeg.ts';

export const PIPELINE_RATE = 16000;

/** The container, from the first bytes (file names and declared types are often wrong). */
export function sniffFormat(b: Uint8Array): string {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 3) === 'ID3' || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  if (ascii(4, 8) === 'ftyp') return 'mp4';
  return 'unknown';
}

function decodeWavNatively(bytes: Uint8Array): Int16Array {
  const wav = decodeWav(bytes);
  const mono = downmix(wav.samples);
  return floatToPcm16(wav.sampleRate === PIPELINE_RATE ? mono : resample(mono, wav.sampleRate, PIPELINE_RATE));
}

export async function decodeUpload(bytes: Uint8Array, ffmpeg: string, signal?: AbortSignal): Promise<Int16Array> {
  const format = sniffFormat(bytes);
  let nativeFailure: string | undefined;
  if (format === 'wav') {
    try {
      return decodeWavNatively(bytes);
    } catch (err) {
      if (!(err instanceof WavFormatError)) throw err;
      nativeFailure = err.message;
    }
  }
  try {
    return await ffmpegToPcm16(ffmpeg, bytes, signal);
  } catch (err) {
    if (err instanceof FfmpegMissingError) {
      const what = nativeFailure ? `this WAV file (${nativeFailure})` : format === 'unknown' ? 'this file (an unrecognised format)' : `${format} audio`;
      throw new EarshotError('unsupported_media_type', `${what} needs ffmpeg, which is not installed here (EARSHOT_FFMPEG=${ffmpeg}); send a PCM or float WAV file, or install ffmpeg`);
    }
    if (err instanceof FfmpegDecodeError) throw new EarshotError('bad_audio', `could not decode the ${format === 'unknown' ? 'file' : `${format} file`}: ${err.message}`);
    throw err;
  }
}
