import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav, WavFormatError } from '../../../shared/audio/wav.ts';
import { downmix, floatToPcm16, pcm16FromBytes, pcm16ToBytes, pcm16ToFloat } from '../../../shared/audio/pcm.ts';
import { resample } from '../../../shared/audio/resample.ts';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav';
const LIBRIVOX_SAMPLES = 47840;
const hasTool = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;

/** Assembles a RIFF/WAVE file from chunks, adding pad bytes after odd-sized ones as the format requires. */
function riff(chunks: [string, Uint8Array][]): Uint8Array {
  const parts: number[] = [...'WAVE'].map((c) => c.charCodeAt(0));
  for (const [id, body] of chunks) {
    parts.push(...[...id].map((c) => c.charCodeAt(0)), ...u32(body.length), ...body);
    if (body.length % 2) parts.push(0);
  }
  return new Uint8Array([...[...'RIFF'].map((c) => c.charCodeAt(0)), ...u32(parts.length), ...parts]);
}
const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const u32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

/** A `fmt ` chunk; `extensible` writes WAVE_FORMAT_EXTENSIBLE with `format` in the SubFormat GUID. */
function fmt(format: number, channels: number, rate: number, bits: number, extensible = false): Uint8Array {
  const align = (channels * bits) / 8;
  const base = [
    ...u16(extensible ? 0xfffe : format),
    ...u16(channels),
    ...u32(rate),
    ...u32(rate * align),
    ...u16(align),
    ...u16(bits),
  ];
  if (!extensible) return new Uint8Array(base);
  const guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  return new Uint8Array([...base, ...u16(22), ...u16(bits), ...u32(3), ...u16(format), ...guidTail]);
}

describe('decodeWav', () => {
  it('decodes a real 16 kHz mono recording sample-exactly', () => {
    const bytes = readFileSync(LIBRIVOX);
    const wav = decodeWav(bytes);
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 1, truncated: false });
    expect(wav.samples[0]!.length).toBe(LIBRIVOX_SAMPLES);
    const raw = new DataView(bytes.buffer, bytes.byteOffset + 44);
    for (const i of [0, 1, 1000, 23456, LIBRIVOX_SAMPLES - 1])
      expect(wav.samples[0]![i]! * 32768).toBe(raw.getInt16(i * 2, true));
  });

  it('round-trips encodeWav → decodeWav exactly', () => {
    const pcm = Int16Array.from({ length: 4001 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const wav = decodeWav(encodeWav(pcm, 22050));
    expect(wav).toMatchObject({ sampleRate: 22050, channels: 1, truncated: false });
    expect(floatToPcm16(wav.samples[0]!)).toEqual(pcm);
  });

  it('decodes stereo 44.1 kHz 24-bit WAVE_FORMAT_EXTENSIBLE, skipping an odd-sized chunk before fmt', () => {
    const frames = 441;
    const left = Array.from({ length: frames }, (_, i) =>
      Math.round(Math.sin((2 * Math.PI * 440 * i) / 44100) * 8388607),
    );
    const data: number[] = [];
    for (let i = 0; i < frames; i++)
      for (const v of [left[i]!, -left[i]!]) data.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff);
    const bytes = riff([
      ['LIST', new Uint8Array([1, 2, 3])],
      ['fmt ', fmt(1, 2, 44100, 24, true)],
      ['data', new Uint8Array(data)],
    ]);
    const wav = decodeWav(bytes);
    expect(wav).toMatchObject({ sampleRate: 44100, channels: 2, truncated: false });
    for (let i = 0; i < frames; i++) {
      expect(wav.samples[0]![i]).toBeCloseTo(left[i]! / 8388608, 7);
      expect(wav.samples[1]![i]).toBeCloseTo(-left[i]! / 8388608, 7);
    }
  });

  it.each([
    ['8-bit unsigned', 1, 8, [0, 128, 255], [-1, 0, 127 / 128]],
    ['32-bit int', 1, 32, [...u32(0x80000000), ...u32(0x40000000)], [-1, 0.5]],
    ['32-bit float', 3, 32, [...new Uint8Array(new Float32Array([0.25, -0.75]).buffer)], [0.25, -0.75]],
  ])('decodes %s PCM', (_name, format, bits, body, expected) => {
    const wav = decodeWav(
      riff([
        ['fmt ', fmt(format, 1, 8000, bits)],
        ['data', new Uint8Array(body)],
      ]),
    );
    expect(Array.from(wav.samples[0]!)).toEqual(expected);
  });

  it('decodes what the data chunk holds when the file is cut short, and says so', () => {
    const full = encodeWav(new Int16Array([1, 2, 3, 4]), 16000);
    const wav = decodeWav(full.subarray(0, full.length - 3)); // 2½ samples left
    expect(wav.truncated).toBe(true);
    expect(floatToPcm16(wav.samples[0]!)).toEqual(new Int16Array([1, 2]));
  });

  it.each([
    ['an empty file', new Uint8Array(0), /too short/],
    ['non-RIFF input', new TextEncoder().encode('OggS this is not a wave file'), /not a WAV file.*"OggS"/],
    ['a RIFF file of another form', riff([]).map((b, i) => (i === 8 ? 0x41 : b)), /form type is "AAVE"/],
    ['a header cut inside fmt', readFileSync(LIBRIVOX).subarray(0, 30), /"fmt " chunk .* runs past the end/],
    ['a file without data', riff([['fmt ', fmt(1, 1, 16000, 16)]]), /no "data" chunk/],
    [
      'compressed audio',
      riff([
        ['fmt ', fmt(2, 1, 16000, 4)],
        ['data', new Uint8Array(4)],
      ]),
      /format tag 0x0002/,
    ],
    [
      '12-bit PCM',
      riff([
        ['fmt ', fmt(1, 1, 16000, 12)],
        ['data', new Uint8Array(4)],
      ]),
      /bit depth 12/,
    ],
  ])('rejects %s with a helpful WavFormatError', (_name, bytes, message) => {
    expect(() => decodeWav(bytes)).toThrow(WavFormatError);
    expect(() => decodeWav(bytes)).toThrow(message);
  });
});

describe.skipIf(!hasTool('sox'))('files written by sox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-wav-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const original = decodeWav(readFileSync(LIBRIVOX)).samples[0]!;

  it.each([
    ['16-bit', []],
    ['24-bit', ['-b', '24']],
    ['32-bit float', ['-e', 'floating-point', '-b', '32']],
  ])('44.1 kHz stereo %s decodes, and resamples back to 16 kHz mono matching the original', (name, encoding) => {
    const out = join(dir, `${name}.wav`);
    const sox = spawnSync('sox', [LIBRIVOX, ...encoding, '-r', '44100', '-c', '2', out]);
    expect(sox.status, sox.stderr.toString()).toBe(0);
    const wav = decodeWav(readFileSync(out));
    expect(wav).toMatchObject({ sampleRate: 44100, channels: 2, truncated: false });
    expect(wav.samples[0]!.length).toBe(Math.round((LIBRIVOX_SAMPLES * 44100) / 16000));
    const back = resample(downmix(wav.samples), 44100, 16000);
    expect(Math.abs(back.length - LIBRIVOX_SAMPLES)).toBeLessThanOrEqual(1);
    // Two band-limited, zero-delay conversions only lose the band between ~7.6 and 8 kHz, which speech barely uses.
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < LIBRIVOX_SAMPLES; i++) {
      signal += original[i]! ** 2;
      noise += (original[i]! - back[i]!) ** 2;
    }
    expect(10 * Math.log10(signal / noise)).toBeGreaterThan(40); // measured ≈ 58 dB
  });

  it.skipIf(!hasTool('espeak-ng'))('decodes espeak-ng speech at its native 22.05 kHz', () => {
    const out = join(dir, 'espeak.wav');
    expect(spawnSync('espeak-ng', ['-w', out, 'testing one two three']).status).toBe(0);
    const wav = decodeWav(readFileSync(out));
    expect(wav).toMatchObject({ sampleRate: 22050, channels: 1 });
    const n = wav.samples[0]!.length;
    expect(n).toBeGreaterThan(22050 / 2);
    expect(Math.abs(resample(wav.samples[0]!, 22050, 16000).length - (n * 16000) / 22050)).toBeLessThanOrEqual(1);
  });
});

// The PCM helpers sit between the decoder and the wire; kept here rather than in a file of their own.
describe('pcm helpers', () => {
  it('floatToPcm16 clamps, maps NaN to 0, and inverts pcm16ToFloat exactly', () => {
    expect(floatToPcm16(new Float32Array([2, -2, 1, -1, 0.5, NaN]))).toEqual(
      new Int16Array([32767, -32768, 32767, -32768, 16384, 0]),
    );
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(floatToPcm16(pcm16ToFloat(all))).toEqual(all);
  });

  it('downmix averages channels and rejects ragged input', () => {
    expect(downmix([new Float32Array([1, 0.5]), new Float32Array([0, -0.5])])).toEqual(new Float32Array([0.5, 0]));
    expect(() => downmix([new Float32Array(2), new Float32Array(3)])).toThrow(/differ in length/);
  });

  it('converts PCM16LE bytes both ways, including from an odd byte offset', () => {
    const pcm = new Int16Array([1, -2, 0x1234, -32768]);
    const bytes = pcm16ToBytes(pcm);
    expect(Array.from(bytes.subarray(0, 6))).toEqual([1, 0, 0xfe, 0xff, 0x34, 0x12]);
    const unaligned = new Uint8Array(bytes.length + 1);
    unaligned.set(bytes, 1);
    expect(pcm16FromBytes(unaligned.subarray(1))).toEqual(pcm);
    expect(() => pcm16FromBytes(new Uint8Array(3))).toThrow(/even number of bytes/);
  });
});
