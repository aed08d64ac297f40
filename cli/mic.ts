/**
 * `earshot mic`: live captions of the microphone in the terminal. The platform's recorder (arecord, sox or
 * ffmpeg; or EARSHOT_RECORDER / --recorder) captures 16 kHz mono PCM16, which streams to the server; captions
 * print as `earshot stream` prints them. Ctrl+C stops the microphone and waits for the last captions (a second
 * Ctrl+C quits at once). Exit status: 0 after `done`, 1 on a runtime failure, 2 on a usage error, 130 when
 * interrupted twice.
 */
import { parseArgs } from 'node:util';
import { RecorderError, type RecorderCommand } from '../client/node/recorder.ts';
import { onPath } from '../shared/node/executables.ts';
import { AudioSource, captureCommands } from '../client/node/capture/source.ts';
import { linuxSoundServerProblem } from '../client/node/capture/system/linux.ts';
import { startCapture, type LiveCapture } from '../client/node/live-capture.ts';
import { RealtimeError, type WebSocketConstructor } from '../client/realtime-client.ts';
import { ERROR_CODES } from '../shared/errors.ts';
import { authenticatedWebSocket } from '../client/node/connection.ts';
import { StartMessage } from '../shared/protocol.ts';
import { EventPrinter, type OutputStream } from './stream.ts';
import { unknownOptionMessage } from './startup-errors.ts';

const DEFAULT_URL = 'ws://127.0.0.1:8080/v1/realtime';

/** The audio-source options, in the help of both `earshot mic` and `earshot type`. */
export const SOURCE_HELP = `      --source S        mic, system (what the computer plays) or both, mixed (default $EARSHOT_AUDIO_SOURCE or mic)
      --system-device D loopback source of system audio (default $EARSHOT_SYSTEM_DEVICE, else Linux @DEFAULT_MONITOR@,
                        Windows "Stereo Mix", macOS "BlackHole 2ch"; see docs/system-audio.md)
      --system-recorder CMD  command recording system audio as 16 kHz mono PCM16LE (default $EARSHOT_SYSTEM_RECORDER)`;

const HELP = `usage: earshot mic [options]

Captions the microphone (or what the computer plays, or both) live: records with arecord, sox or ffmpeg
(whichever is installed; parec for system audio on Linux) and prints partial captions, finals and translations as
they arrive. Ctrl+C stops recording; the last captions still print.

options:
  -t, --targets LANGS   translate into these languages, comma-separated (e.g. es,fr)
  -l, --language LANG   spoken language (default: the server's)
      --device NAME     input device (ALSA device, sox/ffmpeg input name; default: the system's)
      --recorder CMD    command that writes 16 kHz mono PCM16LE to stdout (default $EARSHOT_RECORDER, else detected)
${SOURCE_HELP}
      --seconds N       stop after N seconds of audio
      --url URL         server endpoint (default $EARSHOT_URL or ${DEFAULT_URL})
      --token T         API key or token for a server with auth on (default $EARSHOT_TOKEN)
      --json            print every server event as one JSON object per line
  -h, --help            show this help
`;

export interface MicIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  WebSocket?: WebSocketConstructor;
  /** Where Ctrl+C comes from (tests pass an EventEmitter). */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export interface CaptureArgs {
  url: string;
  token: string;
  language?: string;
  targets: string[];
  /** One recorder, or the microphone's and system audio's to mix. */
  recorder: RecorderCommand[];
  seconds?: number;
  /** System audio through the platform's sound server (Linux): checked before a session opens. */
  needsSoundServer?: boolean;
}

/** Why the capture cannot start on this machine (no sound server for system audio), or undefined. */
export async function captureProblem(
  parsed: CaptureArgs,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  return parsed.needsSoundServer ? linuxSoundServerProblem(env, (p) => onPath(p, env)) : undefined;
}

/** The options `earshot mic` and `earshot type` share, checked; a string is the usage error to print. */
export function captureArgs(
  values: {
    targets?: string;
    language?: string;
    device?: string;
    recorder?: string;
    source?: string;
    'system-device'?: string;
    'system-recorder'?: string;
    seconds?: string;
    url?: string;
    token?: string;
  },
  env: Record<string, string | undefined>,
): CaptureArgs | string {
  const targets = (values.targets ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const check = StartMessage.safeParse({
    type: 'start',
    language: values.language,
    targets,
    sample_rate: 16000,
    encoding: 'pcm16',
  });
  if (!check.success)
    return `invalid ${check.error.issues[0]?.path.join('.') || 'option'}: ${check.error.issues[0]?.message}`;
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) return `--seconds must be a number > 0, got "${values.seconds}"`;
  const source = AudioSource.safeParse(values.source ?? (env.EARSHOT_AUDIO_SOURCE || 'mic'));
  if (!source.success)
    return `--source must be mic, system or both, got "${values.source ?? env.EARSHOT_AUDIO_SOURCE}"`;
  let recorder: RecorderCommand[];
  try {
    recorder = captureCommands({
      source: source.data,
      device: values.device,
      recorder: values.recorder ?? env.EARSHOT_RECORDER,
      systemDevice: values['system-device'] ?? env.EARSHOT_SYSTEM_DEVICE,
      systemRecorder: values['system-recorder'] ?? env.EARSHOT_SYSTEM_RECORDER,
      has: (p) => onPath(p, env),
    });
  } catch (err) {
    return (err as Error).message;
  }
  const linux = ['linux', 'freebsd', 'openbsd'].includes(process.platform);
  const needsSoundServer =
    linux && source.data !== 'mic' && !(values['system-recorder'] ?? env.EARSHOT_SYSTEM_RECORDER)?.trim();
  return {
    url: values.url ?? env.EARSHOT_URL ?? DEFAULT_URL,
    token: values.token ?? env.EARSHOT_TOKEN ?? '',
    ...(values.language ? { language: values.language } : {}),
    targets,
    recorder,
    ...(seconds ? { seconds } : {}),
    ...(needsSoundServer ? { needsSoundServer } : {}),
  };
}

export const CAPTURE_OPTIONS = {
  targets: { type: 'string', short: 't' },
  language: { type: 'string', short: 'l' },
  device: { type: 'string' },
  recorder: { type: 'string' },
  source: { type: 'string' },
  'system-device': { type: 'string' },
  'system-recorder': { type: 'string' },
  seconds: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Explains a failure of the capture (recorder or server) for the user; rethrows anything unexpected. */
export function describeFailure(err: unknown): string {
  if (err instanceof RecorderError) return err.message;
  if (err instanceof RealtimeError)
    return err.code in ERROR_CODES ? `the server ended the session: [${err.code}] ${err.message}` : err.message;
  throw err;
}

export async function runMic(args: string[], overrides: Partial<MicIo> = {}): Promise<number> {
  const io: MicIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
    ...overrides,
  };
  const fail = (message: string, status = 1) => (io.stderr.write(`earshot mic: ${message}\n`), status);
  let values;
  try {
    ({ values } = parseArgs({ args, options: { ...CAPTURE_OPTIONS, json: { type: 'boolean' } } }));
  } catch (err) {
    return fail(
      unknownOptionMessage(err, [...Object.keys(CAPTURE_OPTIONS), 'json']) ?? `${(err as Error).message}\n\n${HELP}`,
      2,
    );
  }
  if (values.help) return (io.stdout.write(HELP), 0);
  const parsed = captureArgs(values, io.env);
  if (typeof parsed === 'string') return fail(parsed, 2);
  const problem = await captureProblem(parsed, io.env);
  if (problem) return fail(problem);

  const printer = new EventPrinter(io.stdout, io.stderr, values.json ?? false);
  let capture: LiveCapture | undefined;
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr.write('\nearshot mic: stopping; waiting for the last captions (Ctrl+C again to quit now)\n');
      capture?.stop();
    } else capture?.session.close();
  };
  io.signals?.on('SIGINT', onSigint);
  try {
    capture = await startCapture({
      url: parsed.url,
      start: { language: parsed.language, targets: parsed.targets },
      recorder: parsed.recorder,
      WebSocket: io.WebSocket ?? authenticatedWebSocket(parsed.token),
      onEvent: (event) => printer.print(event),
      onWarning: (m) => io.stderr.write(`earshot mic: warning: ${m}\n`),
    });
    if (interrupts > 0) capture.stop();
    const limit = parsed.seconds;
    const timer = limit ? setInterval(() => capture!.seconds >= limit && capture!.stop(), 100) : undefined;
    try {
      await Promise.all([capture.session.done, capture.recorderEnded]);
    } finally {
      clearInterval(timer);
    }
    return 0;
  } catch (err) {
    printer.finish();
    if (interrupts > 1) return 130;
    return fail(describeFailure(err));
  } finally {
    io.signals?.off('SIGINT', onSigint);
  }
}
