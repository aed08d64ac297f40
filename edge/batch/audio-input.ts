/**
 * Turns an uploaded file into 16 kHz mono PCM16, judging what it declares before decoding it (audio-bounds.ts).
 * The container is sniffed from the first bytes (file names and declared types are often wrong, and are the
 * client's word): bytes that are no known audio container, manifests and playlists among them, are refused.
 * WAV is decoded natively on a worker thread (decode-pool.ts); other containers, and WAV encodings the native
 * reader does not know (µ-law, ADPCM), go through ffmpeg, boxed in (ffmpeg.ts). Without ffmpeg such files get a
 * 415 that names the format and the fix.
 */
import { readWavHeader, WavFormatError, wavEncodingProblem, type WavHeader } from '../../shared/audio/wav.ts';
import { EarshotError } from '../../shared/errors.ts';
import { audioTooLong, checkDeclaredAudio } from './audio-bounds.ts';
import type { DecodePool } from './decode-pool.ts';
import { FfmpegDecodeError, FfmpegLimitError, FfmpegMissingError, ffmpegToPcm16 } from './ffmpeg.ts';
import { PIPELINE_RATE } from './wav-to-pipeline.ts';

export { PIPELINE_RATE };

export type Container = 'wav' | 'mp3' | 'aac' | 'ogg' | 'flac' | 'webm' | 'mp4' | 'unknown';

/** ffmpeg's demuxer for each container: the only one it may use on such a file. */
const DEMUXERS: Record<Exclude<Container, 'unknown'>, { demuxer: string; seeks?: boolean }> = {
  wav: { demuxer: 'wav' },
  mp3: { demuxer: 'mp3' },
  aac: { demuxer: 'aac' },
  ogg: { demuxer: 'ogg' },
  flac: { demuxer: 'flac' },
  webm: { demuxer: 'matroska' },
  mp4: { demuxer: 'mov', seeks: true },
};

const ACCEPTED = 'WAV, FLAC, MP3, AAC (ADTS), Ogg (Opus, Vorbis), WebM/Matroska and MP4/M4A';

/** The container, from the first bytes. */
export function sniffFormat(b: Uint8Array): Container {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  // ADTS and MPEG audio share the 12-bit sync word; ADTS's "layer" bits are 00, which MPEG audio never uses.
  if (b[0] === 0xff && ((b[1] ?? 0) & 0xf6) === 0xf0) return 'aac';
  if (ascii(0, 3) === 'ID3' || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  if (ascii(4, 8) === 'ftyp') return 'mp4';
  return 'unknown';
}

export interface DecodeOptions {
  /** The ffmpeg binary (EARSHOT_FFMPEG). */
  ffmpeg: string;
  /** Worker threads for WAV. */
  pool: DecodePool;
  /** EARSHOT_MAX_AUDIO_SECONDS. */
  maxAudioSeconds: number;
  /** EARSHOT_DECODE_TIMEOUT_SECONDS, in ms. */
  timeoutMs: number;
}

/** Decodes an upload. `bytes` may be moved to a worker thread: do not use them afterwards. */
export async function decodeUpload(
  bytes: Uint8Array,
  options: DecodeOptions,
  signal?: AbortSignal,
): Promise<Int16Array> {
  const format = sniffFormat(bytes);
  if (format === 'unknown') {
    throw new EarshotError(
      'unsupported_media_type',
      `this file is not audio in a format decoded here (${ACCEPTED}); manifests and playlists (DASH, HLS, concat) are refused`,
    );
  }
  let nativeFailure: string | undefined;
  if (format === 'wav') {
    let header: WavHeader | undefined;
    try {
      header = readWavHeader(bytes);
    } catch (err) {
      if (!(err instanceof WavFormatError)) throw err;
      nativeFailure = err.message; // ffmpeg may still read it, within the same limits
    }
    if (header) {
      checkDeclaredAudio(
        { sampleRate: header.sampleRate, channels: header.channels, seconds: header.frames / header.sampleRate },
        options.maxAudioSeconds,
      );
      nativeFailure = wavEncodingProblem(header);
      if (!nativeFailure) return decodeWavOffLoop(options.pool, bytes);
    }
  }
  try {
    return await ffmpegToPcm16({
      binary: options.ffmpeg,
      input: bytes,
      ...DEMUXERS[format],
      maxOutputBytes: options.maxAudioSeconds * PIPELINE_RATE * 2,
      timeoutMs: options.timeoutMs,
      onStream: (stream) => checkDeclaredAudio(stream, options.maxAudioSeconds),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof FfmpegMissingError) {
      const what = nativeFailure ? `this WAV file (${nativeFailure})` : `${format} audio`;
      throw new EarshotError(
        'unsupported_media_type',
        `${what} needs ffmpeg, which is not installed here (EARSHOT_FFMPEG=${options.ffmpeg}); send a PCM or float WAV file, or install ffmpeg`,
      );
    }
    if (err instanceof FfmpegDecodeError)
      throw new EarshotError('bad_audio', `could not decode the ${format} file: ${err.message}`);
    if (err instanceof FfmpegLimitError && err.limit === 'output') throw audioTooLong(options.maxAudioSeconds);
    if (err instanceof FfmpegLimitError) {
      throw new EarshotError(
        'decode_timeout',
        `decoding took longer than ${Math.round(options.timeoutMs / 1000)} s (EARSHOT_DECODE_TIMEOUT_SECONDS); the file may be damaged`,
      );
    }
    throw err;
  }
}

async function decodeWavOffLoop(pool: DecodePool, bytes: Uint8Array): Promise<Int16Array> {
  try {
    return await pool.wavToPcm16(bytes);
  } catch (err) {
    if (err instanceof WavFormatError)
      throw new EarshotError('bad_audio', `could not decode the WAV file: ${err.message}`);
    throw err;
  }
}
