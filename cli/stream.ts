/**
 * `earshot stream FILE.wav`: plays a WAV file into a running server as if it were a microphone and prints the
 * captions and translations as they arrive. Exit status: 0 after `done`, 1 on a runtime failure (file,
 * connection, server), 2 on a usage error.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { decodeWav, WavFormatError } from '../shared/audio/wav.ts';
import { downmix, floatToPcm16 } from '../shared/audio/pcm.ts';
import { resample } from '../shared/audio/resample.ts';
import { connect, RealtimeError, type RealtimeSession, type WebSocketConstructor } from '../shared/client/realtime-client.ts';
import { ERROR_CODES } from '../shared/errors.ts';
import { StartMessage, type ServerEvent } from '../shared/protocol.ts';

/** Audio per WebSocket frame: short enough for live-like latency, long enough to keep frame overhead small. */
export const FRAME_MS = 100;
const STREAM_RATE = 16000;
const DEFAULT_URL = 'ws://127.0.0.1:8080/v1/realtime';
/** Above this much unsent audio, `--speed 0` waits rather than buffering the whole file in the socket. */
const MAX_BUFFERED_BYTES = 1 << 20;

const HELP = `usage: earshot stream FILE.wav [options]

Streams a WAV file (any sample rate, channel count and PCM/float format) to a realtime server as 16 kHz mono
audio in ${FRAME_MS} ms frames, and prints partial captions, finals and translations as they arrive.

options:
  -t, --targets LANGS   translate into these languages, comma-separated (e.g. es,fr)
  -l, --language LANG   spoken language (default: the server's)
      --speed N         send N times faster than real time; 0 sends as fast as possible (default 1)
      --url URL         server endpoint (default $EARSHOT_URL or ${DEFAULT_URL})
      --json            print every server event as one JSON object per line
  -h, --help            show this help
`;

/** When frame `index` is due, in ms after the first frame; `speed` 0 means immediately. */
export function frameDueMs(index: number, frameMs: number, speed: number): number {
  return speed === 0 ? 0 : (index * frameMs) / speed;
}

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
const realClock: PacerClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/**
 * Calls `send(i)` for frames 0 … count-1 at their due times. Waits are computed from the start time rather than
 * chained, so timer lateness does not accumulate into drift. Stops early when `send` returns false; returns the
 * number of frames sent.
 */
export async function paceFrames(
  count: number,
  options: { frameMs: number; speed: number; clock?: PacerClock },
  send: (index: number) => boolean | Promise<boolean>,
): Promise<number> {
  const clock = options.clock ?? realClock;
  const start = clock.now();
  for (let i = 0; i < count; i++) {
    const wait = frameDueMs(i, options.frameMs, options.speed) - (clock.now() - start);
    if (wait > 0) await clock.sleep(wait);
    if (!(await send(i))) return i;
  }
  return count;
}

export interface OutputStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Renders server events for people (or as JSON lines), keeping a TTY's in-place partial line consistent. */
export class EventPrinter {
  #partial = '';
  constructor(
    private readonly out: OutputStream,
    private readonly err: OutputStream,
    private readonly json: boolean,
  ) {}

  print(ev: ServerEvent): void {
    if (this.json) {
      this.out.write(`${JSON.stringify(ev)}\n`);
      return;
    }
    switch (ev.type) {
      case 'ready':
        return this.#line(this.err, `connected (session ${ev.session}${ev.targets.length ? `; translating to ${ev.targets.join(', ')}` : ''})`);
      case 'partial':
        if (!this.out.isTTY) return void this.out.write(`~ ${ev.text}\n`);
        this.#partial = ev.text;
        return this.#drawPartial();
      case 'final': // replaces the partial it completes
        this.finish();
        return this.#line(this.out, `[${ev.start.toFixed(2)}–${ev.end.toFixed(2)}] ${ev.text}`);
      case 'translation':
        return this.#line(this.out, `  ${ev.lang}: ${ev.text}`);
      case 'error':
        return this.#line(this.err, `error [${ev.code}]: ${ev.message}${ev.seq ? ` (utterance ${ev.seq})` : ''}`);
      case 'done':
        return this.finish();
    }
  }

  /** Clears a pending in-place partial so that later output starts on a clean line. */
  finish(): void {
    if (this.out.isTTY && this.#partial) this.out.write('\r\x1b[2K');
    this.#partial = '';
  }

  #line(stream: OutputStream, text: string): void {
    if (this.out.isTTY && this.#partial) this.out.write('\r\x1b[2K');
    stream.write(`${text}\n`);
    if (this.#partial) this.#drawPartial();
  }

  #drawPartial(): void {
    // A wrapped line cannot be rewritten with \r, so long partials show their most recent words only.
    const room = Math.max(10, (this.out.columns || 80) - 3); // 0 or undefined: width unknown
    const text = this.#partial.length > room ? `…${this.#partial.slice(-(room - 1))}` : this.#partial;
    this.out.write(`\r\x1b[2K~ ${text}`);
  }
}

export interface StreamIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  WebSocket?: WebSocketConstructor;
}

/**
 * Runs `earshot stream` with the arguments after the command name; resolves to the exit status. `overrides`
 * replaces the process's streams, environment or WebSocket implementation (for tests and embedding).
 */
export async function runStream(args: string[], overrides: Partial<StreamIo> = {}): Promise<number> {
  const io: StreamIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, ...overrides };
  const fail = (message: string, status = 1) => (io.stderr.write(`earshot stream: ${message}\n`), status);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        targets: { type: 'string', short: 't' },
        language: { type: 'string', short: 'l' },
        speed: { type: 'string' },
        url: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${HELP}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.stdout.write(HELP), 0);
  if (positionals.length !== 1) return fail(`expected one WAV file, got ${positionals.length}\n\n${HELP}`, 2);
  const file = positionals[0]!;
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0) return fail(`--speed must be a number ≥ 0, got "${values.speed}"`, 2);
  const url = values.url ?? io.env.EARSHOT_URL ?? DEFAULT_URL;
  const start = {
    language: values.language,
    targets: (values.targets ?? '').split(',').map((t) => t.trim()).filter(Boolean),
    sample_rate: STREAM_RATE,
  };
  const check = StartMessage.safeParse({ ...start, type: 'start', encoding: 'pcm16' });
  if (!check.success) {
    const issue = check.error.issues[0];
    return fail(`invalid ${issue?.path.join('.') || 'option'}: ${issue?.message}`, 2);
  }

  let wav;
  try {
    wav = decodeWav(await readFile(file));
  } catch (err) {
    return fail(err instanceof WavFormatError ? `${file}: ${err.message}` : `cannot read ${file}: ${(err as Error).message}`);
  }
  if (wav.truncated) io.stderr.write(`earshot stream: warning: ${file} is truncated; streaming the audio it holds\n`);
  // Converted before connecting, so a long file does not hold an idle session open while it resamples.
  const pcm = floatToPcm16(resample(downmix(wav.samples), wav.sampleRate, STREAM_RATE));
  const frameSamples = (STREAM_RATE * FRAME_MS) / 1000;

  const printer = new EventPrinter(io.stdout, io.stderr, values.json ?? false);
  let session: RealtimeSession;
  try {
    session = await connect(url, start, {
      WebSocket: io.WebSocket,
      onWarning: (m) => io.stderr.write(`earshot stream: warning: ${m}\n`),
    });
  } catch (err) {
    if (!(err instanceof RealtimeError)) throw err;
    return fail(err.code in ERROR_CODES ? `server refused the session: [${err.code}] ${err.message}` : err.message);
  }

  let ended = false;
  const reader = (async () => {
    for await (const ev of session) printer.print(ev);
  })().finally(() => (ended = true));
  reader.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled

  // First Ctrl-C ends the audio early but still waits for the last captions; a second one quits.
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts === 1) io.stderr.write('\nearshot stream: stopping (Ctrl-C again to quit)\n');
    else session.close(1000, 'interrupted');
  };
  process.on('SIGINT', onSigint);
  try {
    await paceFrames(Math.ceil(pcm.length / frameSamples), { frameMs: FRAME_MS, speed }, async (i) => {
      while (!ended && session.bufferedAmount > MAX_BUFFERED_BYTES) await sleep(5);
      if (ended || interrupts > 0) return false;
      return session.sendAudio(pcm.subarray(i * frameSamples, (i + 1) * frameSamples));
    });
    session.stop();
    await reader;
    return 0;
  } catch (err) {
    printer.finish();
    if (interrupts > 1) return 130;
    if (!(err instanceof RealtimeError)) throw err;
    return fail(err.code in ERROR_CODES ? `the server ended the session: [${err.code}] ${err.message}` : err.message);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
