/**
 * The batch API through the official OpenAI Node client, pointed at a real edge (sphinx + apertium, in-process
 * queue): Debian's librivox recordings joined with pauses into one WAV, every response_format, translations,
 * async jobs with progress, compressed uploads through ffmpeg, and the errors (400, 413, 415) with their JSON body.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../shared/audio/wav.ts';
import { SphinxEngine } from '../../gpu-runners/engines/sphinx.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { withPauses } from '../support/sessions.ts';
import { corpusWer, wordErrors } from '../support/wer.ts';

const recordings = librivoxRecordings();
const pcm = withPauses(recordings.map((r) => r.pcm));
const wav = encodeWav(pcm, 16000);
const reference = recordings.map((r) => r.reference).join(' ');
const seconds = pcm.length / 16000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let client: OpenAI;
const dir = mkdtempSync(join(tmpdir(), 'earshot-batch-'));

/** The joined recording compressed by ffmpeg, as clients upload it. */
function compressed(name: string, args: string[]): Uint8Array {
  const out = join(dir, name);
  spawnSync(
    'ffmpeg',
    ['-y', '-loglevel', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', 'pipe:0', ...args, out],
    { input: Buffer.from(pcm.buffer) },
  );
  return readFileSync(out);
}

beforeAll(async () => {
  server = await startTestServer({ EARSHOT_BLOB_DIR: join(dir, 'blobs') });
  client = new OpenAI({ apiKey: 'unused-auth-is-off', baseURL: `${server.server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server?.close(0);
});

const file = (bytes: Uint8Array, name = 'librivox.wav') => toFile(Buffer.from(bytes), name);

// Each request decodes ~30 s of speech with sphinx: slow on a busy machine.
describe('POST /v1/audio/transcriptions with the OpenAI client', { timeout: 120_000 }, () => {
  let jsonText = '';

  it('json: the text, as accurate as sphinx decoding each recording offline (within 5 WER points)', async () => {
    const started = performance.now();
    const result = await client.audio.transcriptions.create({ file: await file(wav), model: 'whisper-1' });
    const ms = performance.now() - started;
    jsonText = result.text;
    const offline = new SphinxEngine({});
    await offline.load();
    const offlineText = (await offline.transcribe(recordings.map((r) => ({ id: r.id, pcm: r.pcm, partial: false }))))
      .map((r) => r.text)
      .join(' ');
    await offline.close();
    const batchWer = corpusWer([{ reference, hypothesis: result.text }]);
    const offlineWer = corpusWer([{ reference, hypothesis: offlineText }]);
    console.info(
      JSON.stringify({
        seconds,
        ms: Math.round(ms),
        realTimeFactor: +(ms / 1000 / seconds).toFixed(3),
        batchWer,
        offlineWer,
      }),
    );
    expect(batchWer).toBeLessThanOrEqual(offlineWer + 0.05);
  });

  it('text: the same text, plain, ending in a newline', async () => {
    const text = await client.audio.transcriptions.create({
      file: await file(wav),
      model: 'whisper-1',
      response_format: 'text',
    });
    expect(text).toBe(`${jsonText}\n`);
  });

  it('srt: numbered cues with comma timestamps, in order, inside the audio, saying the text', async () => {
    const srt = await client.audio.transcriptions.create({
      file: await file(wav),
      model: 'whisper-1',
      response_format: 'srt',
    });
    const blocks = srt.trim().split(/\n\n/);
    expect(blocks.length).toBeGreaterThanOrEqual(recordings.length);
    let last = 0;
    const words: string[] = [];
    for (const [i, block] of blocks.entries()) {
      const [index, timing, ...lines] = block.split('\n');
      expect(index).toBe(String(i + 1));
      const m = /^(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)$/.exec(timing!);
      expect(m, timing).not.toBeNull();
      const t = (h: string, mi: string, s: string, ms: string) => +h * 3600 + +mi * 60 + +s + +ms / 1000;
      const [start, end] = [t(m![1]!, m![2]!, m![3]!, m![4]!), t(m![5]!, m![6]!, m![7]!, m![8]!)];
      expect(start).toBeGreaterThanOrEqual(last - 0.001);
      expect(end).toBeGreaterThan(start);
      expect(end).toBeLessThanOrEqual(seconds + 0.001);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(42);
      words.push(...lines);
      last = end;
    }
    expect(words.join(' ')).toBe(jsonText);
  });

  it('vtt: a WEBVTT file with dot timestamps', async () => {
    const vtt = await client.audio.transcriptions.create({
      file: await file(wav),
      model: 'whisper-1',
      response_format: 'vtt',
    });
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    const timings = vtt.split('\n').filter((l) => l.includes('-->'));
    expect(timings.length).toBeGreaterThanOrEqual(recordings.length);
    for (const line of timings) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d --> \d\d:\d\d:\d\d\.\d\d\d$/);
  });

  it('verbose_json: language, duration and timed segments (timestamp_granularities[] = segment)', async () => {
    const result = await client.audio.transcriptions.create({
      file: await file(wav),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['segment'],
    });
    expect(result).toMatchObject({ task: 'transcribe', language: 'english', text: jsonText });
    expect(result.duration).toBeCloseTo(seconds, 2);
    const segments = result.segments!;
    expect(segments.length).toBeGreaterThanOrEqual(recordings.length);
    expect(segments.map((s) => s.id)).toEqual(segments.map((_, i) => i));
    for (let i = 1; i < segments.length; i++)
      expect(segments[i]!.start).toBeGreaterThanOrEqual(segments[i - 1]!.end - 0.001);
    expect(segments.map((s) => s.text).join(' ')).toBe(jsonText);
  });

  it('refuses word timestamps, unknown languages and a missing file with 400 and a code', async () => {
    await expect(
      client.audio.transcriptions.create({
        file: await file(wav),
        model: 'whisper-1',
        response_format: 'verbose_json',
        timestamp_granularities: ['word'],
      }),
    ).rejects.toMatchObject({ status: 400, error: { code: 'invalid_request' } });
    await expect(
      client.audio.transcriptions.create({ file: await file(wav), model: 'whisper-1', language: 'fr' }),
    ).rejects.toMatchObject({ status: 400, error: { code: 'unsupported_language' } });
    const res = await fetch(`${server.server.url}/v1/audio/transcriptions`, { method: 'POST', body: new FormData() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringMatching(/file/) },
    });
  });
});

describe('POST /v1/audio/translations', { timeout: 120_000 }, () => {
  it('writes English: sphinx hears English, so the text is the transcription itself', async () => {
    const transcription = await client.audio.transcriptions.create({ file: await file(wav), model: 'whisper-1' });
    const result = await client.audio.translations.create({
      file: await file(wav),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    expect(result).toMatchObject({ task: 'translate', language: 'english', text: transcription.text });
  });
});

describe('async jobs', { timeout: 120_000 }, () => {
  it('returns a job id at once; GET /v1/jobs/:id reports segment progress, then the result in the requested format', async () => {
    const accepted = (await client.audio.transcriptions.create(
      { file: await file(wav), model: 'whisper-1', response_format: 'srt' },
      { query: { async: 'true' } },
    )) as unknown as {
      id: string;
      status: string;
    };
    expect(accepted.status).toBe('queued');
    const seen: { done: number; total: number }[] = [];
    let job: { status: string; progress: { segments_done: number; segments_total: number }; result?: string };
    for (;;) {
      job = (await (await fetch(`${server.server.url}/v1/jobs/${accepted.id}`)).json()) as typeof job;
      seen.push({ done: job.progress.segments_done, total: job.progress.segments_total });
      if (job.status === 'completed' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(job.status).toBe('completed');
    expect(job.progress.segments_total).toBeGreaterThanOrEqual(recordings.length);
    expect(job.progress.segments_done).toBe(job.progress.segments_total);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.done).toBeGreaterThanOrEqual(seen[i - 1]!.done);
    expect(job.result).toMatch(/^1\n00:00:/);
    const missing = await fetch(`${server.server.url}/v1/jobs/no-such-job`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'unknown_job' } });
  });
});

describe('compressed uploads through ffmpeg', { timeout: 120_000 }, () => {
  const cases: [string, string, string[]][] = [
    ['mp3', 'speech.mp3', ['-c:a', 'libmp3lame', '-b:a', '48k']],
    ['ogg/opus', 'speech.ogg', ['-c:a', 'libopus', '-b:a', '32k']],
    ['m4a/aac', 'speech.m4a', ['-c:a', 'aac', '-b:a', '64k']],
    ['webm/opus', 'speech.webm', ['-c:a', 'libopus', '-b:a', '32k']],
  ];
  it.each(cases)('%s transcribes close to the WAV', async (_name, filename, args) => {
    const bytes = compressed(filename, args);
    const text = await client.audio.transcriptions.create({
      file: await file(bytes, filename),
      model: 'whisper-1',
      response_format: 'text',
    });
    const { errors, words } = wordErrors(reference, text);
    console.info(JSON.stringify({ format: filename, bytes: bytes.byteLength, wer: +(errors / words).toFixed(3) }));
    expect(errors / words).toBeLessThan(0.4);
  });

  it('answers 400 bad_audio for an MP3 ffmpeg cannot decode, 415 for bytes that are no audio container', async () => {
    await expect(
      client.audio.transcriptions.create({
        file: await file(new TextEncoder().encode('ID3\x04 then not audio at all'), 'x.mp3'),
        model: 'whisper-1',
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: { code: 'bad_audio' },
    });
    await expect(
      client.audio.transcriptions.create({
        file: await file(new TextEncoder().encode('not audio at all, just text'), 'x.mp3'),
        model: 'whisper-1',
      }),
    ).rejects.toMatchObject({
      status: 415,
      error: { code: 'unsupported_media_type' },
    });
  });
});

describe('an edge without ffmpeg and with a small upload limit', { timeout: 60_000 }, () => {
  let small: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    small = await startTestServer({
      EARSHOT_FFMPEG: '/nonexistent/ffmpeg',
      EARSHOT_MAX_UPLOAD_BYTES: '300000',
      EARSHOT_BLOB_DIR: join(dir, 'blobs-small'),
    });
  });
  afterAll(async () => {
    await small?.close(0);
  });
  const post = (bytes: Uint8Array, name: string) => {
    const form = new FormData();
    form.set('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
    form.set('model', 'whisper-1');
    return fetch(`${small.server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  };

  it('still decodes WAV natively', async () => {
    const res = await post(encodeWav(recordings[1]!.pcm, 16000), 'short.wav');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { text: string }).text.length).toBeGreaterThan(0);
  });

  it('answers 415 unsupported_media_type naming ffmpeg for an mp3', async () => {
    const res = await post(compressed('small.mp3', ['-c:a', 'libmp3lame', '-b:a', '32k']), 'speech.mp3');
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      error: { code: 'unsupported_media_type', message: expect.stringMatching(/mp3 audio needs ffmpeg/) },
    });
  });

  it('answers 413 file_too_large past EARSHOT_MAX_UPLOAD_BYTES', async () => {
    const res = await post(wav, 'long.wav');
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'file_too_large' } });
  });
});
