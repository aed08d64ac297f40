/**
 * `earshot type`: voice typing from a terminal, for people who do not want the desktop app. After a short delay
 * (time to click into the target application) it listens to the microphone and types each final caption into
 * whichever application has keyboard focus, through the platform's injector (client/node/injection/).
 * A terminal sees no key releases and no keys pressed in other windows, so control is by signal, which desktop
 * environments can bind to shortcuts: SIGUSR1 pauses and resumes listening, SIGUSR2 undoes the last insertion.
 * Exit status: 0 when dictation ended cleanly, 1 on a failure, 2 on a usage error, 130 when interrupted twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { unknownOptionMessage } from './startup-errors.ts';
import { onPath } from '../shared/node/executables.ts';
import { chooseInjector, createInjector } from '../client/node/injection/select.ts';
import { micDictations } from '../client/node/typing/dictation.ts';
import { VoiceTyping } from '../client/node/typing/voice-typing.ts';
import { WakeWord } from '../shared/protocol.ts';
import { CAPTURE_OPTIONS, captureArgs, captureProblem, describeFailure, SOURCE_HELP, type MicIo } from './mic.ts';

const HELP = `usage: earshot type [options]

Voice typing: listens to the microphone and types what you say into the application that has keyboard focus
(finals only, never half-recognized words). Starts after --delay seconds, so you can switch to that application.
Ctrl+C stops listening; the last words are still typed. While it runs (it prints its pid):
  kill -USR1 PID   pause / resume listening          kill -USR2 PID   undo the last insertion

options:
  -l, --language LANG   spoken language (default: the server's)
      --delay S         seconds before listening starts (default 3)
      --seconds N       stop listening after N seconds
      --injector NAME   xdotool, wtype, ydotool, sendkeys or osascript (default: chosen for this desktop)
      --literal         type finals as recognized: no spoken punctuation ("comma"), no added capitals
      --wake PHRASE     type only what follows PHRASE (e.g. "hey earshot"); the server listens for it
      --wake-listen M   after the phrase: "session" types everything (default), "utterance" one utterance per phrase
      --device NAME     input device (default: the system's)
      --recorder CMD    command that writes 16 kHz mono PCM16LE to stdout (default $EARSHOT_RECORDER, else detected)
${SOURCE_HELP}
      --url URL         server endpoint (default $EARSHOT_URL or ws://127.0.0.1:8080/v1/realtime)
      --token T         API key or token for a server with auth on (default $EARSHOT_TOKEN)
  -h, --help            show this help
`;

export interface TypeIo extends MicIo {
  platform?: NodeJS.Platform;
}

export async function runType(args: string[], overrides: Partial<TypeIo> = {}): Promise<number> {
  const io: TypeIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
    ...overrides,
  };
  const say = (message: string) => io.stderr.write(`earshot type: ${message}\n`);
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        ...CAPTURE_OPTIONS,
        delay: { type: 'string' },
        injector: { type: 'string' },
        literal: { type: 'boolean' },
        wake: { type: 'string' },
        'wake-listen': { type: 'string' },
      },
    }));
  } catch (err) {
    return (
      say(
        unknownOptionMessage(err, [
          ...Object.keys(CAPTURE_OPTIONS),
          'delay',
          'injector',
          'literal',
          'wake',
          'wake-listen',
        ]) ?? `${(err as Error).message}\n\n${HELP}`,
      ),
      2
    );
  }
  if (values.help) return (io.stdout.write(HELP), 0);
  const parsed = captureArgs(values, io.env);
  if (typeof parsed === 'string') return (say(parsed), 2);
  const problem = await captureProblem(parsed, io.env);
  if (problem) return (say(problem), 1);
  const delay = values.delay === undefined ? 3 : Number(values.delay);
  if (!(delay >= 0)) return (say(`--delay must be a number ≥ 0, got "${values.delay}"`), 2);
  const wakeWord = WakeWord.safeParse({
    phrase: values.wake ?? '',
    ...(values['wake-listen'] ? { listen: values['wake-listen'] } : {}),
  });
  if ((values.wake !== undefined || values['wake-listen'] !== undefined) && !wakeWord.success)
    return (say(`--wake needs a phrase of 1 to 64 characters and --wake-listen "session" or "utterance"`), 2);
  let injector;
  try {
    injector = createInjector(
      chooseInjector(
        { platform: io.platform ?? process.platform, env: io.env, has: (p) => onPath(p, io.env) },
        values.injector,
      ),
    );
  } catch (err) {
    return (say((err as Error).message), values.injector ? 2 : 1);
  }

  let failed = false;
  let paused = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const typing = new VoiceTyping({
    mode: 'toggle',
    injector,
    join: {
      language: parsed.language ?? 'en',
      ...(values.literal ? { spokenPunctuation: false, capitalize: false } : {}),
    },
    start: micDictations({
      serverUrl: parsed.url,
      token: parsed.token,
      ...(parsed.language ? { language: parsed.language } : {}),
      recorder: parsed.recorder,
      ...(values.wake !== undefined && wakeWord.success ? { wakeWord: wakeWord.data } : {}),
    }),
    onTyped: (text) => say(`typed ${JSON.stringify(text)}`),
    onError: (err) => {
      failed = true;
      say(safeDescribe(err));
    },
    onState: (state) => {
      say(
        state === 'listening'
          ? 'listening…'
          : state === 'finishing'
            ? 'finishing the last words…'
            : paused
              ? 'paused (SIGUSR1 resumes)'
              : 'stopped',
      );
      // Dictation over, and not because the user paused it: nothing is left to do.
      if (state === 'idle' && !paused) finish();
    },
  });

  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) return finish();
    paused = false;
    if (typing.state === 'listening') typing.toggle();
    else finish();
  };
  const onPause = () => {
    paused = typing.state === 'listening';
    typing.toggle();
  };
  const onUndo = () =>
    void typing.undo().then((undone) => say(undone ? 'undid the last insertion' : 'nothing to undo'));
  io.signals?.on('SIGINT', onSigint);
  io.signals?.on('SIGUSR1', onPause);
  io.signals?.on('SIGUSR2', onUndo);
  try {
    say(
      `typing with ${injector.name} into the focused window${delay ? ` in ${delay} s` : ''} (pid ${process.pid}; Ctrl+C stops)`,
    );
    await sleep(delay * 1000);
    if (interrupts > 0) return 130;
    typing.toggle();
    const limit = parsed.seconds;
    const timer = limit ? setTimeout(() => typing.state === 'listening' && typing.toggle(), limit * 1000) : undefined;
    await finished;
    clearTimeout(timer);
    if (interrupts > 1) return 130;
    await typing.whenIdle();
    return failed ? 1 : 0;
  } finally {
    io.signals?.off('SIGINT', onSigint);
    io.signals?.off('SIGUSR1', onPause);
    io.signals?.off('SIGUSR2', onUndo);
  }
}

function safeDescribe(err: Error): string {
  try {
    return describeFailure(err);
  } catch {
    return err.message;
  }
}
