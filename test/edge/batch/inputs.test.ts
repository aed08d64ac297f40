/** What the batch API accepts: upload formats (sniffed, decoded natively or by ffmpeg), form fields, and renderings. */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../../shared/audio/wav.ts';
import { decodeUpload, sniffFormat, type DecodeOptions } from '../../../edge/batch/audio-input.ts';
import { DecodePool } from '../../../edge/batch/decode-pool.ts';
import { parseBatchForm } from '../../../edge/batch/params.ts';
import { render, type Transcript } from '../../../edge/batch/transcript.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
const MISSING = '/nonexistent/ffmpeg';
const pool = new DecodePool(1);
afterAll(() => pool.close());
const options = (ffmpeg = 'ffmpeg', limits: Partial<DecodeOptions> = {}): DecodeOptions => ({ ffmpeg, pool, maxAudioSeconds: 7200, timeoutMs: 60_000, ...limits });

/** A 44.1 kHz stereo float WAV of `seconds` of a 440 Hz tone. */
function stereoFloatWav(seconds: number): Uint8Array {
  const frames = Math.round(44100 * seconds);
  const out = new Uint8Array(44 + frames * 8);
  const v = new DataView(out.buffer);
  out.set(ascii('RIFF'), 0);
  v.setUint32(4, 36 + frames * 8, true);
  out.set(ascii('WAVEfmt '), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 3, true);
  v.setUint16(22, 2, true);
  v.setUint32(24, 44100, true);
  v.setUint32(28, 44100 * 8, true);
  v.setUint16(32, 8, true);
  v.setUint16(34, 32, true);
  out.set(ascii('data'), 36);
  v.setUint32(40, frames * 8, true);
  for (let i = 0; i < frames; i++) {
    const s = 0.5 * Math.sin((2 * Math.PI * 440 * i) / 44100);
    v.setFloat32(44 + i * 8, s, true);
    v.setFloat32(48 + i * 8, s, true);
  }
  return out;
}

describe('sniffFormat', () => {
  it('tells containers by their first bytes', () => {
    expect(sniffFormat(encodeWav(new Int16Array(10), 16000))).toBe('wav');
    expect(sniffFormat(ascii('ID3\x04rest'))).toBe('mp3');
    expect(sniffFormat(new Uint8Array([0xff, 0xfb, 0x90, 0x00]))).toBe('mp3');
    expect(sniffFormat(ascii('OggS\x00'))).toBe('ogg');
    expect(sniffFormat(ascii('fLaC'))).toBe('flac');
    expect(sniffFormat(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0]))).toBe('webm');
    expect(sniffFormat(ascii('\x00\x00\x00\x20ftypM4A '))).toBe('mp4');
    expect(sniffFormat(ascii('hello'))).toBe('unknown');
  });
});

describe('decodeUpload', () => {
  it('decodes WAV natively: 44.1 kHz stereo float becomes 16 kHz mono PCM16, no ffmpeg needed', async () => {
    const pcm = await decodeUpload(stereoFloatWav(1), options(MISSING));
    expect(pcm.length).toBe(16000);
    const peak = pcm.slice(1000, 15000).reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak / 32768).toBeCloseTo(0.5, 1);
  });

  it('answers 415 naming the format when ffmpeg is missing, and 400 bad_audio when ffmpeg cannot decode', async () => {
    await expect(decodeUpload(ascii('ID3\x04 not really mp3'), options(MISSING))).rejects.toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(/^mp3 audio needs ffmpeg/) });
    await expect(decodeUpload(ascii('ID3\x04 not really mp3'), options())).rejects.toMatchObject({ code: 'bad_audio', message: expect.stringMatching(/^could not decode the mp3 file: /) });
  });

  it('hands WAV encodings the native reader does not know (µ-law) to ffmpeg', async () => {
    const mulaw = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-c:a', 'pcm_mulaw', '-f', 'wav', 'pipe:1'], {
      input: Buffer.from(new Int16Array(8000).map((_, i) => Math.round(8000 * Math.sin(i / 3))).buffer),
    }).stdout;
    await expect(decodeUpload(new Uint8Array(mulaw), options(MISSING))).rejects.toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(/this WAV file \(unsupported WAV format tag 0x0007/) });
    expect((await decodeUpload(new Uint8Array(mulaw), options())).length).toBe(16000);
  });
});

describe('parseBatchForm', () => {
  const file = new File([new Uint8Array([1, 2])], 'a.wav');

  it('applies OpenAI defaults and keeps the primary language subtag', async () => {
    const { params, audio } = await parseBatchForm({ file, language: 'pt-BR', temperature: '0.2' }, 'transcribe');
    expect(audio).toEqual(new Uint8Array([1, 2]));
    expect(params).toEqual({ task: 'transcribe', model: 'default', responseFormat: 'json', language: 'pt', temperature: 0.2 });
  });

  it('names the field that is wrong', async () => {
    await expect(parseBatchForm({ file, response_format: 'docx' }, 'transcribe')).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^response_format/) });
    await expect(parseBatchForm({ file, temperature: '3' }, 'transcribe')).rejects.toMatchObject({ message: expect.stringMatching(/^temperature/) });
    await expect(parseBatchForm({ file: 'not a file' }, 'transcribe')).rejects.toMatchObject({ message: expect.stringMatching(/"file"/) });
    await expect(parseBatchForm({ file, 'timestamp_granularities[]': ['segment'] }, 'transcribe')).rejects.toMatchObject({ message: expect.stringMatching(/verbose_json/) });
    await expect(parseBatchForm({ file, response_format: 'verbose_json', 'timestamp_granularities[]': ['segment'] }, 'translate')).resolves.toBeDefined();
  });
});

describe('render', () => {
  const transcript: Transcript = {
    task: 'transcribe',
    language: 'en',
    duration: 7.1004,
    text: 'hello there. general kenobi',
    segments: [
      { id: 0, start: 0.5, end: 1.7, text: 'hello there.' },
      { id: 1, start: 2.25, end: 3.1, text: 'general kenobi' },
    ],
  };

  it('renders OpenAI shapes: json with usage, verbose_json with language name and segment seek', () => {
    expect(render(transcript, 'json').body).toEqual({ text: transcript.text, usage: { type: 'duration', seconds: 8 } });
    expect(render(transcript, 'text')).toEqual({ body: `${transcript.text}\n`, contentType: 'text/plain; charset=utf-8' });
    const verbose = render(transcript, 'verbose_json').body as { language: string; duration: number; segments: { seek: number; start: number; tokens: unknown[] }[] };
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'english', duration: 7.1, text: transcript.text });
    expect(verbose.segments[1]).toMatchObject({ id: 1, seek: 225, start: 2.25, end: 3.1, text: 'general kenobi', tokens: [], temperature: 0 });
    expect(render(transcript, 'srt').body).toBe('1\n00:00:00,500 --> 00:00:01,700\nhello there.\n\n2\n00:00:02,250 --> 00:00:03,100\ngeneral kenobi\n\n');
    expect(render(transcript, 'vtt').body).toMatch(/^WEBVTT\n\n00:00:00.500 --> 00:00:01.700\nhello there.\n\n/);
  });
});
