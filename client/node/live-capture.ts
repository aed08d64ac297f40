/**
 * A realtime session fed by a recorder process: what `earshot mic`, `earshot type` and the desktop app share.
 * The recorder starts before the connection so that the first words (said right after a push-to-talk press)
 * are not lost: audio is held until `ready`, then sent. When the recorder ends (stop(), end of a file, a device
 * gone) the session is stopped, and the server delivers the last utterance before `done`. Node-only.
 */
import { RECORDER_RATE, type RecorderCommand } from './recorder.ts';
import { startRecording } from './capture/recording.ts';
import type { ConnectOptions, StartOptions } from '../realtime-client.ts';
import { ResilientSession } from '../resilient-session.ts';

/** Largest frame sent: recorders that write big chunks (a file played as fast as possible) are cut to 1 s. */
const MAX_FRAME_SAMPLES = RECORDER_RATE;

export interface CaptureOptions extends Pick<ConnectOptions, 'WebSocket' | 'onEvent' | 'onWarning'> {
  url: string;
  start: Omit<StartOptions, 'sample_rate'>;
  /** The recorder, or several to mix (`--source both`: client/node/capture/). */
  recorder: RecorderCommand | readonly RecorderCommand[];
}

export interface LiveCapture {
  /** Survives dropped connections: it resumes and replays the audio the server has not acknowledged (v1.1). */
  session: ResilientSession;
  /** Stops the microphone; the session then finishes (await `session.done`). Idempotent. */
  stop(): void;
  /** Seconds of audio captured. */
  readonly seconds: number;
  /** Resolves when the recorder has exited; rejects if it failed (not found, no audio). */
  readonly recorderEnded: Promise<void>;
}

export async function startCapture(options: CaptureOptions): Promise<LiveCapture> {
  let session: ResilientSession | undefined;
  const early: Int16Array[] = [];
  const send = (pcm: Int16Array) => {
    for (let i = 0; i < pcm.length; i += MAX_FRAME_SAMPLES) session!.sendAudio(pcm.subarray(i, i + MAX_FRAME_SAMPLES));
  };
  const recorder = startRecording(options.recorder, (pcm) => (session ? send(pcm) : early.push(pcm)));
  let stopped = false;
  const connecting = ResilientSession.open({
    urls: [options.url],
    start: { ...options.start, sample_rate: RECORDER_RATE },
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  try {
    // A recorder that cannot start fails here rather than after a session was opened for nothing.
    session = await Promise.race([connecting, recorder.ended.then(() => new Promise<never>(() => undefined))]);
  } catch (err) {
    recorder.stop();
    connecting.then(
      (s) => s.close(),
      () => undefined,
    );
    throw err;
  }
  for (const pcm of early.splice(0)) send(pcm);
  const live = session;
  const recorderEnded = recorder.ended.finally(() => {
    // However the audio ended, the server is told, so it flushes the open utterance and says `done`.
    if (!stopped) live.stop();
    stopped = true;
  });
  recorderEnded.catch(() => live.close());
  return {
    session: live,
    recorderEnded,
    get seconds() {
      return recorder.seconds;
    },
    stop() {
      recorder.stop();
    },
  };
}
