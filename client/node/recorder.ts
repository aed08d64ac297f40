/**
 * The microphone through the platform's recorder program (arecord, sox or ffmpeg), as raw 16 kHz mono PCM16 on
 * its stdout. A child process rather than a native audio binding: nothing to compile, and every desktop has one
 * of these (or can install it). Node-only.
 *
 * The command can be replaced (`EARSHOT_RECORDER`, `--recorder`, the desktop setting): any program that writes
 * 16 kHz mono PCM16LE to stdout works, e.g. `sox talk.wav -t raw -r 16000 -e signed -b 16 -c 1 -` in tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const RECORDER_RATE = 16000;

export interface RecorderCommand {
  command: string;
  args: string[];
}

export class RecorderError extends Error {
  override name = 'RecorderError';
}

/** Splits a command line into words, honouring single and double quotes (no shell: nothing is expanded). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += ch === '\\' && i + 1 < line.length ? line[++i] : ch;
      started = true;
    }
  }
  if (quote) throw new RecorderError(`unbalanced ${quote} in recorder command: ${line}`);
  if (started) words.push(word);
  return words;
}

const RAW = ['-t', 'raw', '-r', String(RECORDER_RATE), '-e', 'signed', '-b', '16', '-c', '1'];

/**
 * The recorder to run: the override when given, else the first of arecord (Linux), sox, ffmpeg that exists.
 * `device` names the input (ALSA device, sox/ffmpeg input name); empty means the system default.
 */
export function recorderCommand(options: {
  override?: string;
  device?: string;
  platform?: NodeJS.Platform;
  has: (program: string) => boolean;
}): RecorderCommand {
  const { device = '', platform = process.platform, has } = options;
  if (options.override?.trim()) {
    const [command, ...args] = splitCommand(options.override);
    return { command: command!, args };
  }
  if (platform === 'linux' && has('arecord')) {
    return {
      command: 'arecord',
      args: [
        '-q',
        '-t',
        'raw',
        '-f',
        'S16_LE',
        '-r',
        String(RECORDER_RATE),
        '-c',
        '1',
        ...(device ? ['-D', device] : []),
      ],
    };
  }
  if (has('sox')) {
    // `-d` is sox's default device; a named one goes through the platform's driver.
    const driver = platform === 'win32' ? 'waveaudio' : platform === 'darwin' ? 'coreaudio' : 'alsa';
    return { command: 'sox', args: ['-q', ...(device ? ['-t', driver, device] : ['-d']), ...RAW, '-'] };
  }
  if (has('ffmpeg')) {
    const input =
      platform === 'win32'
        ? ['-f', 'dshow', '-i', `audio=${device || 'default'}`]
        : platform === 'darwin'
          ? ['-f', 'avfoundation', '-i', `:${device || 'default'}`]
          : ['-f', 'pulse', '-i', device || 'default'];
    return {
      command: 'ffmpeg',
      args: ['-loglevel', 'error', '-nostdin', ...input, '-ac', '1', '-ar', String(RECORDER_RATE), '-f', 's16le', '-'],
    };
  }
  throw new RecorderError(
    'no audio recorder found: install alsa-utils (arecord), sox or ffmpeg, or set EARSHOT_RECORDER to a command that writes 16 kHz mono PCM16 to stdout',
  );
}

/**
 * A running recorder. `onAudio` receives whole PCM16 samples (a byte split across stdout chunks is carried
 * over); `ended` resolves when the process exits, after `stop()` or on its own (end of a file, unplugged device)
 * and rejects when it cannot start or fails before any audio.
 */
export class Recorder {
  readonly ended: Promise<void>;
  readonly #child: ChildProcess;
  #carry: Buffer | null = null;
  #samples = 0;
  #stopping = false;

  constructor(spec: RecorderCommand, onAudio: (pcm: Int16Array) => void) {
    this.#child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    this.#child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      const bytes = this.#carry ? Buffer.concat([this.#carry, chunk]) : chunk;
      const whole = bytes.length - (bytes.length % 2);
      this.#carry = whole < bytes.length ? bytes.subarray(whole) : null;
      if (whole === 0) return;
      // Copy into an aligned buffer: Int16Array views need an even byte offset.
      const pcm = new Int16Array(whole / 2);
      new Uint8Array(pcm.buffer).set(bytes.subarray(0, whole));
      this.#samples += pcm.length;
      onAudio(pcm);
    });
    this.ended = new Promise((resolve, reject) => {
      this.#child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new RecorderError(
            err.code === 'ENOENT'
              ? `recorder "${spec.command}" not found; install it or set EARSHOT_RECORDER`
              : `recorder "${spec.command}" failed: ${err.message}`,
          ),
        ),
      );
      this.#child.once('close', (code, signal) => {
        if (this.#stopping || code === 0 || this.#samples > 0) return resolve();
        reject(
          new RecorderError(
            `recorder "${spec.command}" exited ${code ?? signal} without audio${stderr.trim() ? `: ${stderr.trim()}` : ''}`,
          ),
        );
      });
    });
    this.ended.catch(() => undefined); // callers that only stop() must not see an unhandled rejection
  }

  /** Seconds of audio delivered so far. */
  get seconds(): number {
    return this.#samples / RECORDER_RATE;
  }

  /** Stops recording (SIGTERM: arecord, sox and ffmpeg flush what they have and exit). */
  stop(): void {
    this.#stopping = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
  }
}
