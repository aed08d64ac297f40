/** What the batch API accepts: upload formats (sniffed, decoded natively or by ffmpeg), form fields, and renderings. */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../../shared/audio/wav.ts';
import { decodeUpload, sniffFormat, type DecodeOptions } from '../../../edge/batch/audio-input.ts';
import { DecodePool } from '../../../edge/batch/decode-pool.ts';
import { parseMultipart } from '../../../edge/batch/multipart.ts';
import { parseBatchForm, type UploadedFile } from '../../../edge/batch/params.ts';
import { render, type Transcript } from '../../../edge/batch/transcript.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
const MISSING = '/nonexistent/ffmpeg';
const pool = new DecodePool(1);
afterAll(() => pool.close());
const options = (ffmpeg = 'ffmpeg', limits: Partial<DecodeOptions> = {}): DecodeOptions => ({
  ffmpeg,
  pool,
  maxAudioSeconds: 7200,
  timeoutMs: 60_000,
  ...limits,
});

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
    await expect(decodeUpload(ascii('ID3\x04 not really mp3'), options(MISSING))).rejects.toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringMatching(/^mp3 audio needs ffmpeg/),
    });
    await expect(decodeUpload(ascii('ID3\x04 not really mp3'), options())).rejects.toMatchObject({
      code: 'bad_audio',
      message: expect.stringMatching(/^could not decode the mp3 file: /),
    });
  });

  it('hands WAV encodings the native reader does not know (µ-law) to ffmpeg', async () => {
    const mulaw = spawnSync(
      'ffmpeg',
      [
        '-loglevel',
        'error',
        '-f',
        's16le',
        '-ar',
        '8000',
        '-ac',
        '1',
        '-i',
        'pipe:0',
        '-c:a',
        'pcm_mulaw',
        '-f',
        'wav',
        'pipe:1',
      ],
      {
        input: Buffer.from(new Int16Array(8000).map((_, i) => Math.round(8000 * Math.sin(i / 3))).buffer),
      },
    ).stdout;
    await expect(decodeUpload(new Uint8Array(mulaw), options(MISSING))).rejects.toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringMatching(/this WAV file \(unsupported WAV format tag 0x0007/),
    });
    expect((await decodeUpload(new Uint8Array(mulaw), options())).length).toBe(16000);
  });
});

/** A WAV header declaring anything, followed by `dataBytes` bytes of zeros (its data chunk says so too). */
function declaredWav(o: {
  rate: number;
  channels?: number;
  bits?: number;
  format?: number;
  dataBytes: number;
}): Uint8Array {
  const channels = o.channels ?? 1;
  const bits = o.bits ?? 16;
  const out = new Uint8Array(44 + o.dataBytes);
  const v = new DataView(out.buffer);
  out.set(ascii('RIFF'), 0);
  v.setUint32(4, 36 + o.dataBytes, true);
  out.set(ascii('WAVEfmt '), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, o.format ?? 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, o.rate >>> 0, true);
  v.setUint32(28, ((o.rate * channels * bits) / 8) >>> 0, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  out.set(ascii('data'), 36);
  v.setUint32(40, o.dataBytes, true);
  return out;
}

/** `seconds` of silence encoded by ffmpeg (`-f lavfi anullsrc`) with these output arguments. */
function encodedSilence(seconds: number, args: string[]): Uint8Array {
  const run = spawnSync(
    'ffmpeg',
    ['-loglevel', 'error', '-f', 'lavfi', '-i', `anullsrc=r=16000:cl=mono:d=${seconds}`, ...args, 'pipe:1'],
    { maxBuffer: 1 << 30 },
  );
  return new Uint8Array(run.stdout);
}

describe('#14.4 what an upload declares is judged before it is decoded', () => {
  it('#14.4 a WAV declaring 1 Hz is refused with 400 bad_sample_rate, at once (not 8,000 s of audio)', async () => {
    const started = performance.now();
    await expect(decodeUpload(declaredWav({ rate: 1, dataBytes: 8000 }), options())).rejects.toMatchObject({
      code: 'bad_sample_rate',
      message: expect.stringMatching(/1 Hz; 8000–384000 Hz/),
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('#14.4 a 46-byte WAV at 38,000,001 Hz and one at 0xFFFFFFFF Hz get bad_sample_rate, not a frozen loop or a 500', async () => {
    for (const rate of [38_000_001, 0xffffffff]) {
      const wav = declaredWav({ rate, dataBytes: 2 });
      expect(wav.byteLength).toBe(46);
      await expect(decodeUpload(wav, options())).rejects.toMatchObject({ code: 'bad_sample_rate' });
    }
  });

  it('#14.4 a µ-law WAV declaring 1 Hz is refused before ffmpeg could resample it', async () => {
    await expect(
      decodeUpload(declaredWav({ rate: 1, format: 7, bits: 8, dataBytes: 8000 }), options()),
    ).rejects.toMatchObject({ code: 'bad_sample_rate' });
  });

  it('#14.4 absurd channel counts get 400 too_many_channels', async () => {
    await expect(
      decodeUpload(declaredWav({ rate: 16000, channels: 4000, dataBytes: 8000 }), options()),
    ).rejects.toMatchObject({ code: 'too_many_channels', message: expect.stringMatching(/4000 channels; at most 32/) });
  });

  it('#14.4 a WAV longer than EARSHOT_MAX_AUDIO_SECONDS gets 400 audio_too_long; one within it decodes', async () => {
    const wav = () => encodeWav(new Int16Array(16000 * 90), 16000);
    await expect(decodeUpload(wav(), options('ffmpeg', { maxAudioSeconds: 60 }))).rejects.toMatchObject({
      code: 'audio_too_long',
      message: expect.stringMatching(/90 s, longer than the limit of 60 s \(EARSHOT_MAX_AUDIO_SECONDS\)/),
    });
    expect((await decodeUpload(wav(), options('ffmpeg', { maxAudioSeconds: 120 }))).length).toBe(16000 * 90);
  });

  it('#14.4 a WAV only ffmpeg reads (a 14-byte "fmt " chunk) declaring 1 Hz is refused by what ffmpeg reports of it', async () => {
    // ffmpeg would make 256 MB of 16 kHz PCM of this 8 KB file.
    const wav = declaredWav({ rate: 1, bits: 8, dataBytes: 8000 });
    const short = new Uint8Array(wav.byteLength - 2);
    short.set(wav.subarray(0, 34));
    short.set(wav.subarray(36), 34);
    const v = new DataView(short.buffer);
    v.setUint32(4, short.byteLength - 8, true);
    v.setUint32(16, 14, true);
    await expect(decodeUpload(short, options(MISSING))).rejects.toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringMatching(/"fmt " chunk is 14 bytes/),
    });
    await expect(decodeUpload(short, options())).rejects.toMatchObject({
      code: 'bad_sample_rate',
      message: expect.stringMatching(/ 1 Hz;/),
    });
  });
});

describe('#14.5 ffmpeg decodes only the sniffed format, from stdin, within limits', () => {
  const secret = '/etc/hostname';
  const manifests: [string, string][] = [
    [
      'a DASH manifest with a file:// BaseURL',
      `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT5S"><Period><AdaptationSet mimeType="audio/mp4"><Representation id="a" bandwidth="64000"><BaseURL>file://${secret}</BaseURL></Representation></AdaptationSet></Period></MPD>`,
    ],
    ['an HLS playlist', `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://${secret}\n#EXT-X-ENDLIST\n`],
    ['an ffconcat list', `ffconcat version 1.0\nfile '${secret}'\n`],
  ];
  it.each(manifests)('#14.5 %s is refused outright with 415', async (_name, text) => {
    await expect(decodeUpload(ascii(text), options())).rejects.toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringMatching(/manifests and playlists/),
    });
  });

  it('#14.5 a manifest dressed as MP3 (an ID3 tag first) is read as MP3 only: bad_audio, nothing opened', async () => {
    const dressed = decodeUpload(ascii(`ID3\x04\x00\x00\x00\x00\x00\x00${manifests[1]![1]}`), options());
    const error = (await dressed.catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('bad_audio');
    expect(error.message).not.toMatch(/hostname|file:\/\//);
  });

  it('#14.5 a FLAC of an hour of silence past a 60 s limit gets audio_too_long, holding at most the limit', async () => {
    const flac = encodedSilence(3600, ['-c:a', 'flac', '-f', 'flac']);
    expect(flac.byteLength).toBeLessThan(4 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    await expect(decodeUpload(flac, options('ffmpeg', { maxAudioSeconds: 60 }))).rejects.toMatchObject({
      code: 'audio_too_long',
    });
    // An hour of 16 kHz PCM16 is 115 MB; the limit is 1.9 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('#14.5 ffmpeg is stopped at the wall-clock limit with 400 decode_timeout', async () => {
    const mp3 = encodedSilence(600, ['-c:a', 'libmp3lame', '-b:a', '32k', '-f', 'mp3']);
    await expect(decodeUpload(mp3, options('ffmpeg', { timeoutMs: 20 }))).rejects.toMatchObject({
      code: 'decode_timeout',
      message: expect.stringMatching(/EARSHOT_DECODE_TIMEOUT_SECONDS/),
    });
  });

  it("#14.5 an M4A with its index at the end still decodes from stdin (through ffmpeg's cache protocol)", async () => {
    const m4a = encodedSilence(30, ['-c:a', 'aac', '-f', 'ipod', '-movflags', 'frag_keyframe+empty_moov']);
    expect(sniffFormat(m4a)).toBe('mp4');
    expect((await decodeUpload(m4a, options())).length).toBeGreaterThan(16000 * 29);
  });
});

describe('parseMultipart', () => {
  /** The bytes and content type a client library sends for a FormData. */
  async function encoded(form: FormData): Promise<{ body: Uint8Array; type: string }> {
    const req = new Request('http://x/', { method: 'POST', body: form });
    return { body: new Uint8Array(await req.arrayBuffer()), type: req.headers.get('content-type')! };
  }

  it('reads fields, name[] fields as arrays, and files byte for byte', async () => {
    const audio = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    const form = new FormData();
    form.set('file', new Blob([audio]), 'talk 1.wav');
    form.set('model', 'whisper-1');
    form.append('timestamp_granularities[]', 'segment');
    form.append('timestamp_granularities[]', 'word');
    const { body, type } = await encoded(form);
    const parsed = parseMultipart(body, type);
    expect(parsed.model).toBe('whisper-1');
    expect(parsed['timestamp_granularities[]']).toEqual(['segment', 'word']);
    const file = parsed.file as UploadedFile;
    expect(file.filename).toBe('talk 1.wav');
    expect(file.bytes).toEqual(audio);
  });

  it('refuses a body without a boundary, one cut short, and one of too many parts with invalid_request', async () => {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(10)]), 'a.wav');
    const { body, type } = await encoded(form);
    expect(() => parseMultipart(body, 'application/json')).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => parseMultipart(body.subarray(0, body.length - 20), type)).toThrow(/cut short/);
    const many = new FormData();
    for (let i = 0; i < 100; i++) many.append('x[]', String(i));
    const big = await encoded(many);
    expect(() => parseMultipart(big.body, big.type)).toThrow(/more than 64 parts/);
  });
});

describe('parseBatchForm', () => {
  const file = { filename: 'a.wav', type: 'audio/wav', bytes: new Uint8Array([1, 2]) };

  it('applies OpenAI defaults and keeps the primary language subtag', async () => {
    const { params, audio } = await parseBatchForm({ file, language: 'pt-BR', temperature: '0.2' }, 'transcribe');
    expect(audio).toEqual(new Uint8Array([1, 2]));
    expect(params).toEqual({
      task: 'transcribe',
      model: 'default',
      responseFormat: 'json',
      language: 'pt',
      temperature: 0.2,
    });
  });

  it('names the field that is wrong', async () => {
    await expect(parseBatchForm({ file, response_format: 'docx' }, 'transcribe')).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/^response_format/),
    });
    await expect(parseBatchForm({ file, temperature: '3' }, 'transcribe')).rejects.toMatchObject({
      message: expect.stringMatching(/^temperature/),
    });
    await expect(parseBatchForm({ file: 'not a file' }, 'transcribe')).rejects.toMatchObject({
      message: expect.stringMatching(/"file"/),
    });
    await expect(
      parseBatchForm({ file, 'timestamp_granularities[]': ['segment'] }, 'transcribe'),
    ).rejects.toMatchObject({ message: expect.stringMatching(/verbose_json/) });
    await expect(
      parseBatchForm({ file, response_format: 'verbose_json', 'timestamp_granularities[]': ['segment'] }, 'translate'),
    ).resolves.toBeDefined();
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
    expect(render(transcript, 'text')).toEqual({
      body: `${transcript.text}\n`,
      contentType: 'text/plain; charset=utf-8',
    });
    const verbose = render(transcript, 'verbose_json').body as {
      language: string;
      duration: number;
      segments: { seek: number; start: number; tokens: unknown[] }[];
    };
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'english', duration: 7.1, text: transcript.text });
    expect(verbose.segments[1]).toMatchObject({
      id: 1,
      seek: 225,
      start: 2.25,
      end: 3.1,
      text: 'general kenobi',
      tokens: [],
      temperature: 0,
    });
    expect(render(transcript, 'srt').body).toBe(
      '1\n00:00:00,500 --> 00:00:01,700\nhello there.\n\n2\n00:00:02,250 --> 00:00:03,100\ngeneral kenobi\n\n',
    );
    expect(render(transcript, 'vtt').body).toMatch(/^WEBVTT\n\n00:00:00.500 --> 00:00:01.700\nhello there.\n\n/);
  });
});
