/**
 * Runs the recorder commands of a source (./source.ts): one is a plain Recorder; several run side by side and
 * their audio is mixed into one stream (./mixer.ts). Either way the caller sees one recording. Node-only.
 */
import { Recorder, RECORDER_RATE, type RecorderCommand } from '../recorder.ts';
import { PcmMixer } from './mixer.ts';

export interface Recording {
  /** Resolves when every recorder has exited; rejects (after stopping the others) when one cannot record. */
  readonly ended: Promise<void>;
  /** Seconds of audio delivered so far. */
  readonly seconds: number;
  stop(): void;
}

/**
 * How far one recorder may run ahead of a stalled one before the stalled one counts as silence: above the
 * chunk size of common recorders (sox writes 0.26 s at a time), and the most latency a stall adds.
 */
const MAX_LAG_SAMPLES = RECORDER_RATE / 2;

export function startRecording(
  commands: RecorderCommand | readonly RecorderCommand[],
  onAudio: (pcm: Int16Array) => void,
): Recording {
  const list = Array.isArray(commands) ? commands : [commands as RecorderCommand];
  if (list.length === 1) return new Recorder(list[0]!, onAudio);
  return new MixedRecording(list, onAudio);
}

class MixedRecording implements Recording {
  readonly ended: Promise<void>;
  readonly #recorders: Recorder[];
  readonly #mixer: PcmMixer;

  constructor(commands: readonly RecorderCommand[], onAudio: (pcm: Int16Array) => void) {
    this.#mixer = new PcmMixer(commands.length, onAudio, MAX_LAG_SAMPLES);
    this.#recorders = commands.map((command, i) => new Recorder(command, (pcm) => this.#mixer.push(i, pcm)));
    const each = this.#recorders.map((recorder, i) =>
      recorder.ended.then(
        () => this.#mixer.end(i),
        (err: unknown) => {
          // Half of a mix is not what was asked for: one recorder failing stops the whole recording.
          this.stop();
          throw err;
        },
      ),
    );
    this.ended = Promise.all(each).then(() => undefined);
    this.ended.catch(() => undefined); // as Recorder: callers that only stop() must not see an unhandled rejection
  }

  get seconds(): number {
    return this.#mixer.samples / RECORDER_RATE;
  }

  stop(): void {
    for (const recorder of this.#recorders) recorder.stop();
  }
}
