/**
 * RIFF/WAVE reading and writing, with no runtime-specific imports (Node, browsers and Workers).
 *
 * The reader walks the chunk list instead of assuming the canonical 44-byte header, because real files carry
 * LIST/fact/bext chunks, WAVE_FORMAT_EXTENSIBLE `fmt ` chunks, and sometimes `fmt ` after other chunks.
 */
import { pcm16ToBytes } from './pcm.ts';

/** The input is not a WAV file this reader understands; the message says what is wrong. */
export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

export interface DecodedWav {
  sampleRate: number;
  channels: number;
  /** One array per channel, samples in [-1, 1]. */
  samples: Float32Array[];
  /**
   * The data chunk declared more bytes than the file holds (a cut-off download, or a streaming writer that never
   * patched the size). What was present is decoded; callers may want to warn.
   */
  truncated: boolean;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

interface Fmt {
  format: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bits: number;
}

function fourcc(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

function parseFmt(view: DataView, offset: number, size: number): Fmt {
  if (size < 16) throw new WavFormatError(`"fmt " chunk is ${size} bytes; at least 16 are required`);
  let format = view.getUint16(offset, true);
  const bits = view.getUint16(offset + 14, true);
  if (format === FORMAT_EXTENSIBLE) {
    // The real format tag is the first two bytes of the SubFormat GUID at offset 24 of the extension.
    if (size < 40) throw new WavFormatError(`WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${size} bytes; 40 are required`);
    format = view.getUint16(offset + 24, true);
  }
  return {
    format,
    channels: view.getUint16(offset + 2, true),
    sampleRate: view.getUint32(offset + 4, true),
    blockAlign: view.getUint16(offset + 12, true),
    bits,
  };
}

/** Returns a reader of one sample at a byte offset, scaled to [-1, 1]. */
function sampleReader(view: DataView, fmt: Pick<Fmt, 'format' | 'bits'>): (offset: number) => number {
  const { format, bits } = fmt;
  if (format === FORMAT_PCM) {
    switch (bits) {
      case 8: // 8-bit WAV is unsigned, centred on 128.
        return (o) => (view.getUint8(o) - 128) / 128;
      case 16:
        return (o) => view.getInt16(o, true) / 32768;
      case 24:
        return (o) => (view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 8388608;
      case 32:
        return (o) => view.getInt32(o, true) / 2147483648;
    }
    throw new WavFormatError(`unsupported PCM bit depth ${bits} (8, 16, 24 and 32 are supported)`);
  }
  if (format === FORMAT_FLOAT) {
    // NaN and infinities in float files would poison every filter downstream: treat them as silence.
    if (bits === 32) return (o) => finiteOrZero(view.getFloat32(o, true));
    if (bits === 64) return (o) => finiteOrZero(view.getFloat64(o, true));
    throw new WavFormatError(`unsupported float bit depth ${bits} (32 and 64 are supported)`);
  }
  throw new WavFormatError(
    `unsupported WAV format tag 0x${format.toString(16).padStart(4, '0')} (only PCM and IEEE float are supported)`,
  );
}

/** What a WAV file declares, read from its chunks without decoding a sample. */
export interface WavHeader {
  format: number;
  channels: number;
  sampleRate: number;
  bits: number;
  /** Bytes from one frame (a sample of every channel) to the next. */
  stride: number;
  dataOffset: number;
  /** Bytes of sample data present (at most what the file holds). */
  dataBytes: number;
  /** Whole frames present: the duration is frames / sampleRate. */
  frames: number;
  truncated: boolean;
}

/**
 * Reads the `fmt ` and `data` chunks: cheap whatever the file's size, so callers can refuse a file by what it
 * declares (rate, channels, duration) before decoding it. Throws {@link WavFormatError} for a malformed file.
 */
export function readWavHeader(bytes: Uint8Array): WavHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12) throw new WavFormatError(`file is ${bytes.byteLength} bytes, too short for a WAV header`);
  const riff = fourcc(view, 0);
  if (riff !== 'RIFF') {
    const hint = riff === 'RF64' ? ' (RF64 is not supported)' : '';
    throw new WavFormatError(`not a WAV file: expected "RIFF" at the start, found ${JSON.stringify(riff)}${hint}`);
  }
  if (fourcc(view, 8) !== 'WAVE') {
    throw new WavFormatError(`not a WAV file: RIFF form type is ${JSON.stringify(fourcc(view, 8))}, expected "WAVE"`);
  }

  let fmt: Fmt | undefined;
  let data: { offset: number; size: number } | undefined;
  let truncated = false;
  let pos = 12;
  while (pos + 8 <= bytes.byteLength) {
    const id = fourcc(view, pos);
    let size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    const available = bytes.byteLength - body;
    if (size > available) {
      if (id !== 'data') throw new WavFormatError(`"${id}" chunk at byte ${pos} runs past the end of the file`);
      size = available;
      truncated = true;
    }
    if (id === 'fmt ') fmt = parseFmt(view, body, size);
    else if (id === 'data') data = { offset: body, size };
    if (fmt && data) break;
    pos = body + size + (size & 1); // chunks are word-aligned: odd sizes are followed by a pad byte
  }
  if (!fmt) throw new WavFormatError('no "fmt " chunk before the end of the file (truncated or not a WAV file?)');
  if (!data) throw new WavFormatError('no "data" chunk before the end of the file (truncated?)');

  const { format, channels, sampleRate, bits } = fmt;
  if (channels < 1) throw new WavFormatError('"fmt " chunk declares 0 channels');
  if (sampleRate < 1) throw new WavFormatError('"fmt " chunk declares a sample rate of 0');
  const bytesPerSample = bits / 8;
  // blockAlign is authoritative for frame stride, but some writers leave it 0; derive it then.
  const stride = fmt.blockAlign || Math.max(1, Math.ceil(channels * bytesPerSample));
  // Encodings this reader does not decode (ADPCM packs samples in blocks) are described, not checked.
  if (!wavEncodingProblem(fmt) && stride < channels * bytesPerSample) {
    throw new WavFormatError(`block align ${stride} is too small for ${channels} × ${bits}-bit samples`);
  }
  const frames = Math.floor(data.size / stride);
  if (data.size % stride !== 0) truncated = true;
  return {
    format,
    channels,
    sampleRate,
    bits,
    stride,
    dataOffset: data.offset,
    dataBytes: data.size,
    frames,
    truncated,
  };
}

/**
 * Why {@link decodeWav} cannot read this encoding (µ-law, ADPCM, 12-bit PCM…: a general decoder can), or undefined
 * when it can.
 */
export function wavEncodingProblem(header: Pick<WavHeader, 'format' | 'bits'>): string | undefined {
  try {
    sampleReader(new DataView(new ArrayBuffer(0)), header);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Decodes a RIFF/WAVE file: integer PCM of 8, 16, 24 or 32 bits, IEEE float of 32 or 64 bits, plain or
 * WAVE_FORMAT_EXTENSIBLE. Throws {@link WavFormatError} for anything else, or for a malformed file.
 */
export function decodeWav(bytes: Uint8Array): DecodedWav {
  const header = readWavHeader(bytes);
  return {
    sampleRate: header.sampleRate,
    channels: header.channels,
    samples: decodeWavFrames(bytes, header, 0, header.frames),
    truncated: header.truncated,
  };
}

/**
 * Frames `first` to `first + count` of a file whose header was read, one array per channel: long files are decoded
 * a stretch at a time. Throws {@link WavFormatError} for encodings {@link decodeWav} does not read.
 */
export function decodeWavFrames(bytes: Uint8Array, header: WavHeader, first: number, count: number): Float32Array[] {
  const { channels, bits, stride } = header;
  const frames = Math.max(0, Math.min(count, header.frames - first));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(view, header);
  const bytesPerSample = bits / 8;
  const samples = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let c = 0; c < channels; c++) {
    const out = samples[c]!;
    let o = header.dataOffset + first * stride + c * bytesPerSample;
    for (let i = 0; i < frames; i++, o += stride) out[i] = read(o);
  }
  return samples;
}

/** Encodes mono PCM16 as a canonical 44-byte-header WAV file. */
export function encodeWav(pcm16: Int16Array, sampleRate: number): Uint8Array {
  const dataBytes = pcm16.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true); // channels
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  // A copy, not a loop over samples: stored batch uploads are hours long, and this runs on the event loop.
  out.set(pcm16ToBytes(pcm16), 44);
  return out;
}

function finiteOrZero(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
