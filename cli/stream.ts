/**
 * `earshot stream FILE`: plays a recording (any format ffmpeg decodes; WAV natively) or stdin (`-`) into a running
 * server as if it were a microphone, prints the watch link, and prints the captions and translations as they arrive.
 * Exit status: 0 after `done`, 1 on a runtime failure (file, decoder, connection, server), 2 on a usage error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { connect, RealtimeError, type RealtimeSession, type WebSocketConstructor } from '../client/realtime-client.ts';
import { CLOSE } from '../shared/close-codes.ts';
import { ERROR_CODES } from '../shared/errors.ts';
import { StartMessage, type ServerEvent } from '../shared/protocol.ts';
import { authenticatedWebSocket, watchPageUrl } from '../client/node/connection.ts';
import { AudioInputError, openStreamAudio, STREAM_RATE } from './stream-audio.ts';
import { unknownOptionMessage } from './startup-errors.ts';

/** Audio per WebSocket frame: short enough for live-like latency, long enough to keep frame overhead small. */
export const FRAME_MS = 100;
const DEFAULT_URL = 'ws://127.0.0.1:8080/v1/realtime';
/** Above this much unsent audio, `--speed 0` waits rather than buffering the whole file in the socket. */
const MAX_BUFFERED_BYTES = 1 << 20;

const STREAM_FLAGS = ['targets', 'language', 'speed', 'rate', 'url', 'token', 'json', 'help'];

const HELP = `usage: earshot stream FILE [options]
       earshot stream - --rate 16000 [options]     (raw PCM16LE mono on stdin)
       earshot stream - [options]                  (any container ffmpeg reads, on stdin)

Streams a recording to a realtime server as 16 kHz mono audio in ${FRAME_MS} ms frames, prints the session's watch
link (for viewers; with its watch token when the server has auth on), and prints partial captions, finals and
translations as they arrive. WAV (any rate, channels, PCM or float) is read natively; mp3, ogg, opus, webm, m4a,
flac and anything else ffmpeg decodes go through ffmpeg ($EARSHOT_FFMPEG or ffmpeg).

options:
  -t, --targets LANGS   translate into these languages, comma-separated (e.g. es,fr)
  -l, --language LANG   spoken language (default: the server's)
      --speed N         send N times faster than real time; 0 sends as fast as possible (default 1)
      --rate HZ         stdin (-) is raw PCM16LE mono at this sample rate, not a container
      --url URL         server endpoint (default $EARSHOT_URL or ${DEFAULT_URL})
      --token T         API key or token for a server with auth on (default $EARSHOT_TOKEN)
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
 * Calls `send(frame, i)` for each frame at its due time. Waits are computed from the start time rather than
 * chained, so timer lateness does not accumulate into drift; frames that arrive late (a live pipe) go at once.
 * Stops early when `send` returns false; returns the number of frames sent.
 */
export async function paceFrames<T>(
  frames: Iterable<T> | AsyncIterable<T>,
  options: { frameMs: number; speed: number; clock?: PacerClock },
  send: (frame: T, index: number) => boolean | Promise<boolean>,
): Promise<number> {
  const clock = options.clock ?? realClock;
  const start = clock.now();
  let i = 0;
  for await (const frame of frames) {
    const wait = frameDueMs(i, options.frameMs, options.speed) - (clock.now() - start);
    if (wait > 0) await clock.sleep(wait);
    if (!(await send(frame, i))) return i;
    i++;
  }
  return i;
}

/** Cuts chunks of any size into frames of `size` samples (the last one may be shorter). */
export async function* framesOf(
  chunks: Iterable<Int16Array> | AsyncIterable<Int16Array>,
  size: number,
): AsyncGenerator<Int16Array> {
  let pending = new Int16Array(0);
  for await (const chunk of chunks) {
    let data = pending.length ? concat(pending, chunk) : chunk;
    while (data.length >= size) {
      yield data.slice(0, size);
      data = data.subarray(size);
    }
    pending = data.slice();
  }
  if (pending.length) yield pending;
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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
        return this.#line(
          this.err,
          `connected (session ${ev.session}${ev.targets.length ? `; translating to ${ev.targets.join(', ')}` : ''})`,
        );
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
  /** What `-` reads. */
  stdin: import('node:stream').Readable;
  WebSocket?: WebSocketConstructor;
}

/** The watch page of a session on the server behind `url`, with the session's watch token when there is one. */
export function watchLink(url: string, session: string, watchToken?: string): string {
  return watchPageUrl(url, session, watchToken ? { token: watchToken } : {});
}

/**
 * Runs `earshot stream` with the arguments after the command name; resolves to the exit status. `overrides`
 * replaces the process's streams, environment or WebSocket implementation (for tests and embedding).
 */
export async function runStream(args: string[], overrides: Partial<StreamIo> = {}): Promise<number> {
  const io: StreamIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdin: process.stdin,
    ...overrides,
  };
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
        rate: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return fail(unknownOptionMessage(err, STREAM_FLAGS) ?? `${(err as Error).message}\n\n${HELP}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.stdout.write(HELP), 0);
  if (positionals.length !== 1)
    return fail(`expected one file (or - for stdin), got ${positionals.length}\n\n${HELP}`, 2);
  const input = positionals[0]!;
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0) return fail(`--speed must be a number ≥ 0, got "${values.speed}"`, 2);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1000 && rate <= 384000))
    return fail(`--rate must be a sample rate in Hz (1000–384000), got "${values.rate}"`, 2);
  if (rate !== undefined && input !== '-')
    return fail('--rate is for raw PCM on stdin (-); files say their own rate', 2);
  const url = values.url ?? io.env.EARSHOT_URL ?? DEFAULT_URL;
  const token = values.token ?? io.env.EARSHOT_TOKEN ?? '';
  const start = {
    language: values.language,
    targets: (values.targets ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    sample_rate: STREAM_RATE,
  };
  const check = StartMessage.safeParse({ ...start, type: 'start', encoding: 'pcm16' });
  if (!check.success) {
    const issue = check.error.issues[0];
    return fail(`invalid ${issue?.path.join('.') || 'option'}: ${issue?.message}`, 2);
  }

  let audio;
  try {
    audio = await openStreamAudio(input, {
      ffmpeg: io.env.EARSHOT_FFMPEG || 'ffmpeg',
      stdin: io.stdin,
      ...(rate ? { rate } : {}),
    });
  } catch (err) {
    return fail(err instanceof AudioInputError ? err.message : `cannot read ${input}: ${(err as Error).message}`);
  }
  if (audio.warning) io.stderr.write(`earshot stream: warning: ${audio.warning}\n`);
  const frames = framesOf(audio.chunks, (STREAM_RATE * FRAME_MS) / 1000)[Symbol.asyncIterator]();
  // The first frame is decoded before connecting: an unreadable file fails without opening a session, and a long
  // conversion does not hold an idle one open.
  let first: IteratorResult<Int16Array>;
  try {
    first = await frames.next();
  } catch (err) {
    audio.close();
    if (err instanceof AudioInputError) return fail(err.message);
    throw err;
  }
  if (first.done) return fail(`${input === '-' ? 'stdin' : input} holds no audio`);

  const printer = new EventPrinter(io.stdout, io.stderr, values.json ?? false);
  let session: RealtimeSession;
  try {
    session = await connect(url, start, {
      WebSocket: io.WebSocket ?? authenticatedWebSocket(token),
      onWarning: (m) => io.stderr.write(`earshot stream: warning: ${m}\n`),
    });
  } catch (err) {
    audio.close();
    if (!(err instanceof RealtimeError)) throw err;
    if (err.code === 'unauthorized' && !token)
      return fail(`the server has auth on: pass --token KEY (or set EARSHOT_TOKEN) [${err.code}] ${err.message}`);
    return fail(err.code in ERROR_CODES ? `server refused the session: [${err.code}] ${err.message}` : err.message);
  }
  let ended = false;
  const reader = (async () => {
    for await (const ev of session) {
      printer.print(ev);
      if (ev.type === 'ready') io.stderr.write(`watch live at ${watchLink(url, ev.session, ev.watch_token)}\n`);
    }
  })().finally(() => (ended = true));
  reader.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled

  // First Ctrl-C ends the audio early but still waits for the last captions; a second one quits.
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts === 1) io.stderr.write('\nearshot stream: stopping (Ctrl-C again to quit)\n');
    else session.close(CLOSE.normal, 'interrupted');
  };
  process.on('SIGINT', onSigint);
  async function* all(): AsyncGenerator<Int16Array> {
    yield first.value;
    for (let next = await frames.next(); !next.done; next = await frames.next()) yield next.value;
  }
  try {
    await paceFrames(all(), { frameMs: FRAME_MS, speed }, async (frame) => {
      while (!ended && session.bufferedAmount > MAX_BUFFERED_BYTES) await sleep(5);
      if (ended || interrupts > 0) return false;
      return session.sendAudio(frame);
    });
    audio.close();
    session.stop();
    await reader;
    return 0;
  } catch (err) {
    audio.close();
    printer.finish();
    if (interrupts > 1) return 130;
    if (err instanceof AudioInputError) {
      session.close(CLOSE.normal, 'input failed');
      return fail(err.message);
    }
    if (!(err instanceof RealtimeError)) throw err;
    return fail(err.code in ERROR_CODES ? `the server ended the session: [${err.code}] ${err.message}` : err.message);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
