/**
 * Decodes compressed audio with the ffmpeg binary into what the pipeline takes: 16 kHz mono PCM16, boxed in:
 * - the upload is read from stdin, and the only protocols allowed are `pipe` (and `cache`, ffmpeg's in-memory and
 *   temp-file buffer over it, for MP4/M4A, whose index often sits at the end and needs seeking back): a manifest
 *   or playlist that names `file:///…` or `http://…` opens nothing;
 * - one demuxer, the one of the container the bytes were sniffed as (`-f` and `-format_whitelist`), so no
 *   upload is read as DASH, HLS, concat or any other format that opens further inputs;
 * - what each input stream declares is judged before it is decoded (`onStream`);
 * - output is counted as it arrives and ffmpeg is killed past `maxOutputBytes`, and past `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import { constants, setPriority } from 'node:os';

/** The binary could not be started (not installed, or EARSHOT_FFMPEG names nothing). */
export class FfmpegMissingError extends Error {
  override name = 'FfmpegMissingError';
}

/** ffmpeg ran and could not decode the input; the message is ffmpeg's own, with the input called "the upload". */
export class FfmpegDecodeError extends Error {
  override name = 'FfmpegDecodeError';
}

/** ffmpeg was stopped at a limit: its output reached `maxOutputBytes`, or it ran past `timeoutMs`. */
export class FfmpegLimitError extends Error {
  override name = 'FfmpegLimitError';
  constructor(readonly limit: 'output' | 'timeout') {
    super(limit === 'output' ? 'ffmpeg output reached its limit' : 'ffmpeg ran past its time limit');
  }
}

export interface InputStream {
  sampleRate: number;
  channels?: number;
}

export interface FfmpegDecode {
  binary: string;
  input: Uint8Array;
  /** ffmpeg's name of the only demuxer allowed (`mp3`, `ogg`, `flac`, `matroska`, `mov`, `aac`, `wav`). */
  demuxer: string;
  /** The demuxer seeks (MP4): the upload is read through ffmpeg's cache protocol over the pipe. */
  seeks?: boolean;
  maxOutputBytes: number;
  timeoutMs: number;
  /** Each audio stream of the input, as ffmpeg reports it before decoding; throw to refuse the file. */
  onStream?: (stream: InputStream) => void;
  signal?: AbortSignal;
}

/** `Stream #0:0: Audio: flac, 44100 Hz, stereo, s16` (or `mono`, `5.1(side)`, `3 channels`). */
const STREAM_LINE = /^\s*Stream #0:\d+.*?: Audio: [^,]+, (\d+) Hz, ([^,]+)/;
const LAYOUT_CHANNELS: Record<string, number> = { mono: 1, stereo: 2 };

export function ffmpegToPcm16(job: FfmpegDecode): Promise<Int16Array> {
  const input = job.seeks ? 'cache:pipe:0' : 'pipe:0';
  const protocols = job.seeks ? 'cache,pipe' : 'pipe';
  // prettier-ignore
  const args = [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'info',
    '-protocol_whitelist', protocols, '-format_whitelist', job.demuxer, '-f', job.demuxer,
    ...(job.seeks ? ['-read_ahead_limit', '-1'] : []),
    '-i', input, '-vn', '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1',
  ];
  return new Promise<Int16Array>((resolve, reject) => {
    const child = spawn(job.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // Like the decode threads, ffmpeg runs at the lowest CPU priority: live sessions come first.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, constants.priority.PRIORITY_LOW);
      } catch {
        // not permitted here
      }
    }
    const chunks: Buffer[] = [];
    let outputBytes = 0;
    let stderr = '';
    let inInput = true;
    let settled = false;
    const stop = (err: Error) => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => stop(new FfmpegLimitError('timeout')), job.timeoutMs);
    const aborted = () => stop(new Error('the request was cancelled'));
    job.signal?.addEventListener('abort', aborted, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      job.signal?.removeEventListener('abort', aborted);
    };

    child.stdout.on('data', (d: Buffer) => {
      outputBytes += d.byteLength;
      if (outputBytes > job.maxOutputBytes) return stop(new FfmpegLimitError('output'));
      chunks.push(d);
    });
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('Output #0') || line.startsWith('Stream mapping')) inInput = false;
        const stream = inInput ? STREAM_LINE.exec(line) : null;
        if (!stream) continue;
        const layout = stream[2]!.trim();
        const channels =
          LAYOUT_CHANNELS[layout] ?? (/^(\d+) channels/.exec(layout) ? Number(/^(\d+)/.exec(layout)![1]) : undefined);
        try {
          job.onStream?.({ sampleRate: Number(stream[1]), ...(channels !== undefined ? { channels } : {}) });
        } catch (err) {
          return stop(err as Error);
        }
      }
    });
    // ffmpeg may stop reading (a refused stream, a limit, an error) before it has all of the upload.
    child.stdin.on('error', () => undefined);
    child.stdin.end(job.input);

    child.once('error', (e: NodeJS.ErrnoException) => {
      stop(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? new FfmpegMissingError(`ffmpeg is not available (${job.binary}: ${e.code})`)
          : e,
      );
    });
    child.once('close', (code) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (code !== 0)
        return reject(new FfmpegDecodeError(lastError(stderr, input) ?? `ffmpeg exited with code ${code}`));
      // One aligned copy, releasing each chunk as it is copied (Buffer.concat would hold both at once).
      const pcm = new Int16Array(Math.floor(outputBytes / 2));
      const bytes = new Uint8Array(pcm.buffer);
      let at = 0;
      for (let i = 0; i < chunks.length && at < bytes.length; i++) {
        const chunk = chunks[i]!.subarray(0, bytes.length - at);
        bytes.set(chunk, at);
        at += chunk.byteLength;
        chunks[i] = Buffer.alloc(0);
      }
      resolve(pcm);
    });
  });
}

/** ffmpeg's last complaint, with its name for the input replaced: nothing about the server's side reaches a client. */
function lastError(stderr: string, input: string): string | undefined {
  // Indented lines describe the input (metadata, streams); the rest of the report is ffmpeg's progress.
  const complaints = stderr
    .split('\n')
    .filter(
      (l) => l.trim() && !/^\s/.test(l) && !/^(size=|video:|Stream mapping|Input #|Output #|Press \[q\])/.test(l),
    );
  return complaints
    .at(-1)
    ?.trim()
    .replaceAll(input, 'the upload')
    .replace(/ @ 0x[0-9a-f]+\]/g, ']');
}
