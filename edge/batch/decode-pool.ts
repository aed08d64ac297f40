/**
 * A small pool of worker threads that turn WAV uploads into 16 kHz mono PCM16 (wav-to-pipeline.ts), so decoding
 * and resampling a long file never blocks the event loop that serves `/health` and live sessions. Threads start
 * on first use and are unref'd (an idle pool keeps no process alive); files wait their turn in order. The upload's
 * bytes are moved to the thread, not copied, and the result is moved back.
 */
import { Worker } from 'node:worker_threads';
import { EarshotError } from '../../shared/errors.ts';
import { WavFormatError } from '../../shared/audio/wav.ts';
import type { DecodeReply, DecodeRequest } from './decode-worker.ts';

interface Task {
  id: number;
  wav: Uint8Array;
  resolve: (pcm: Int16Array) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  task: Task | null;
}

const ENTRY = new URL('./decode-worker.mjs', import.meta.url);

export class DecodePool {
  readonly #size: number;
  readonly #threads: Thread[] = [];
  readonly #waiting: Task[] = [];
  #nextId = 1;
  #closed = false;

  constructor(size = 2) {
    this.#size = Math.max(1, size);
  }

  /** Decodes a WAV file (throws WavFormatError as decodeWav does). `wav` is moved to the thread: do not use it after. */
  wavToPcm16(wav: Uint8Array): Promise<Int16Array> {
    if (this.#closed) return Promise.reject(new EarshotError('shutting_down', 'the decoder pool is closed'));
    // Only a whole ArrayBuffer can be moved; a view into a larger one is copied first.
    const owned =
      wav.byteOffset === 0 && wav.byteLength === wav.buffer.byteLength && wav.buffer instanceof ArrayBuffer
        ? wav
        : wav.slice();
    return new Promise((resolve, reject) => {
      this.#waiting.push({ id: this.#nextId++, wav: owned, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#waiting.splice(0))
      task.reject(new EarshotError('shutting_down', 'the decoder pool closed'));
    await Promise.all(this.#threads.splice(0).map((t) => t.worker.terminate()));
  }

  #dispatch(): void {
    while (this.#waiting.length > 0) {
      const thread =
        this.#threads.find((t) => !t.task) ?? (this.#threads.length < this.#size ? this.#spawn() : undefined);
      if (!thread) return;
      const task = this.#waiting.shift()!;
      thread.task = task;
      thread.worker.ref(); // a file in progress keeps the process up until it is answered
      thread.worker.postMessage({ id: task.id, wav: task.wav } satisfies DecodeRequest, [
        task.wav.buffer as ArrayBuffer,
      ]);
    }
  }

  #spawn(): Thread {
    const thread: Thread = { worker: new Worker(ENTRY), task: null };
    thread.worker.unref();
    thread.worker.on('message', (reply: DecodeReply) => {
      const task = thread.task;
      if (!task || task.id !== reply.id) return;
      this.#finish(thread);
      if ('pcm' in reply) task.resolve(reply.pcm);
      else
        task.reject(
          reply.error.name === 'WavFormatError'
            ? new WavFormatError(reply.error.message)
            : new Error(reply.error.message),
        );
    });
    // A thread that died (out of memory, a bug) fails its file only; the next file gets a fresh thread.
    const died = (err: Error) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      const task = thread.task;
      thread.task = null;
      task?.reject(new EarshotError('internal', 'the audio decoder thread stopped', { cause: err }));
      if (!this.#closed) this.#dispatch();
    };
    thread.worker.on('error', died);
    thread.worker.on('exit', (code) => died(new Error(`decoder thread exited with code ${code}`)));
    this.#threads.push(thread);
    return thread;
  }

  #finish(thread: Thread): void {
    thread.task = null;
    thread.worker.unref();
    this.#dispatch();
  }
}
