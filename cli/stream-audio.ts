/**
 * What `earshot stream` plays: a file or stdin (`-`) as 16 kHz mono PCM16 chunks, read as they are consumed (a pipe
 * from a live recorder never ends, and a long file is not held in memory). WAV files are read natively (no ffmpeg
 * needed); any other container or codec goes through ffmpeg, as the batch API's uploads do; raw PCM16LE on stdin
 * (`--rate`) needs nothing. The ffmpeg child is bounded: its error output is capped, it is killed when the stream
 * is closed early, and a decoder that fails reports ffmpeg's own last line.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { decodeWav, WavFormatError } from '../shared/audio/wav.ts';
import { downmix, floatToPcm16, pcm16ToFloat } from '../shared/audio/pcm.ts';
import { resample, StreamingResampler } from '../shared/audio/resample.ts';

export const STREAM_RATE = 16000;
/** ffmpeg's error output kept for the message (its last line names the problem). */
const FFMPEG_STDERR_CHARS = 2000;

/** The input cannot be read or decoded; the message is for the user. */
export class AudioInputError extends Error {
  override name = 'AudioInputError';
}

export interface StreamAudio {
  /** 16 kHz mono PCM16 in chunks of any size; throws AudioInputError if decoding fails part-way. */
  chunks: Iterable<Int16Array> | AsyncIterable<Int16Array>;
  /** Stops reading (kills ffmpeg if it runs). */
  close(): void;
  /** A note for the user (e.g. a truncated WAV), if any. */
  warning?: string;
}

export interface AudioInputOptions {
  /** `--rate`: stdin is raw PCM16LE mono at this rate rather than a container. */
  rate?: number;
  /** The ffmpeg binary (EARSHOT_FFMPEG). */
  ffmpeg: string;
  stdin: Readable;
}

/** Opens `input` (a path, or `-` for stdin) for streaming. */
export async function openStreamAudio(input: string, options: AudioInputOptions): Promise<StreamAudio> {
  if (input === '-') {
    if (options.rate !== undefined) return rawPcm(options.stdin, options.rate);
    return ffmpegDecode(options.ffmpeg, 'pipe:0', 'stdin', options.stdin);
  }
  if (await isWav(input)) {
    try {
      const wav = decodeWav(await readFile(input));
      const pcm = floatToPcm16(resample(downmix(wav.samples), wav.sampleRate, STREAM_RATE));
      return {
        chunks: [pcm],
        close: () => undefined,
        ...(wav.truncated ? { warning: `${input} is truncated; streaming the audio it holds` } : {}),
      };
    } catch (err) {
      // A WAV codec the native reader does not know (µ-law, ADPCM, …) is ffmpeg's job.
      if (!(err instanceof WavFormatError)) throw err;
    }
  }
  return ffmpegDecode(options.ffmpeg, input, input);
}

async function isWav(path: string): Promise<boolean> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new AudioInputError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await file.read(head, 0, 12, 0);
    return (
      bytesRead === 12 &&
      /^(RIFF|RIFX|RF64)$/.test(head.toString('latin1', 0, 4)) &&
      head.toString('latin1', 8, 12) === 'WAVE'
    );
  } finally {
    await file.close();
  }
}

/** Bytes to whole little-endian samples, carrying an odd byte over to the next chunk. */
async function* samples(bytes: AsyncIterable<Buffer>): AsyncGenerator<Int16Array> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of bytes) {
    const all = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = all.length - (all.length % 2);
    carry = Buffer.from(all.subarray(whole));
    if (whole === 0) continue;
    const pcm = new Int16Array(whole / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = all.readInt16LE(i * 2);
    yield pcm;
  }
}

function rawPcm(stdin: Readable, rate: number): StreamAudio {
  async function* chunks(): AsyncGenerator<Int16Array> {
    if (rate === STREAM_RATE) return yield* samples(stdin);
    const resampler = new StreamingResampler(rate, STREAM_RATE);
    for await (const pcm of samples(stdin)) yield floatToPcm16(resampler.push(pcm16ToFloat(pcm)));
    yield floatToPcm16(resampler.flush());
  }
  return { chunks: chunks(), close: () => stdin.destroy() };
}

/** ffmpeg decoding `source` (a path, or pipe:0 fed from `stdin`) to 16 kHz mono PCM16 on its stdout. */
function ffmpegDecode(binary: string, source: string, label: string, stdin?: Readable): StreamAudio {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    ...(stdin ? [] : ['-nostdin']),
    '-i',
    source,
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(STREAM_RATE),
    '-f',
    's16le',
    'pipe:1',
  ];
  let child:
    | ChildProcessByStdio<null, Readable, Readable>
    | ChildProcessByStdio<import('node:stream').Writable, Readable, Readable>;
  try {
    child = stdin
      ? spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new AudioInputError(`cannot run ffmpeg (${binary}): ${(err as Error).message}`);
  }
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-FFMPEG_STDERR_CHARS)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? new AudioInputError(
              `${label} is not WAV, and decoding it needs ffmpeg, which is not installed (${binary}: ${e.code}); install ffmpeg, set EARSHOT_FFMPEG, or convert it to WAV`,
            )
          : e,
      ),
    );
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => undefined); // surfaced by the iterator
  if (stdin && 'stdin' in child && child.stdin) {
    const sink = child.stdin;
    sink.on('error', () => undefined); // ffmpeg may stop reading early (EPIPE); its exit status tells what happened
    stdin.pipe(sink);
  }
  let closed = false;
  async function* chunks(): AsyncGenerator<Int16Array> {
    yield* samples(child.stdout);
    const code = await exited;
    if (code === 0 || closed) return;
    // ffmpeg prefixes its message with the input's name, which the message names already.
    const last = stderr.trim().split('\n').at(-1)?.replace(`${source}: `, '');
    throw new AudioInputError(`cannot decode ${label}: ${last || `ffmpeg exited with code ${code}`}`);
  }
  return {
    chunks: chunks(),
    close: () => {
      closed = true;
      if (stdin) stdin.unpipe();
      child.kill('SIGKILL');
    },
  };
}
