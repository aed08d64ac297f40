/**
 * Mixes several live PCM16 streams into one (`--source both`: the microphone plus what the computer plays).
 * Recorders are separate processes with their own clocks, so samples are aligned by arrival: output waits for
 * the slowest input, and queued samples of each input are mixed in order. An input that falls more than
 * `maxLag` samples behind counts as silence for the surplus (so a stalled recorder, or a source that sends
 * nothing while idle, never holds the other back); what it sends later is mixed as it arrives. An input that
 * ended no longer counts. Sums clip to the PCM16 range.
 */
export class PcmMixer {
  readonly #queues: Int16Array[][];
  readonly #queued: number[];
  readonly #ended: boolean[];
  readonly #emit: (pcm: Int16Array) => void;
  readonly #maxLag: number;
  #mixed = 0;

  constructor(inputs: number, emit: (pcm: Int16Array) => void, maxLag: number) {
    this.#queues = Array.from({ length: inputs }, () => []);
    this.#queued = new Array<number>(inputs).fill(0);
    this.#ended = new Array<boolean>(inputs).fill(false);
    this.#emit = emit;
    this.#maxLag = maxLag;
  }

  /** Samples emitted so far. */
  get samples(): number {
    return this.#mixed;
  }

  push(input: number, pcm: Int16Array): void {
    if (this.#ended[input] || pcm.length === 0) return;
    this.#queues[input]!.push(pcm);
    this.#queued[input]! += pcm.length;
    this.#pump();
  }

  /** The input has no more audio: what it queued is still mixed, and the others no longer wait for it. */
  end(input: number): void {
    this.#ended[input] = true;
    this.#pump();
  }

  #pump(): void {
    const lead = Math.max(...this.#queued);
    const live = this.#queued.filter((_, i) => !this.#ended[i]);
    let n = live.length ? Math.min(...live) : lead;
    // The lagging inputs' missing stretch becomes silence.
    if (lead - n > this.#maxLag) n = lead - this.#maxLag;
    if (n <= 0) return;
    const sum = new Int32Array(n);
    for (let i = 0; i < this.#queues.length; i++) this.#take(i, n, sum);
    const out = new Int16Array(n);
    for (let k = 0; k < n; k++) out[k] = Math.max(-32768, Math.min(32767, sum[k]!));
    this.#mixed += n;
    this.#emit(out);
  }

  /** Adds up to `n` queued samples of `input` into `sum` (fewer when it has fewer: the rest is silence). */
  #take(input: number, n: number, sum: Int32Array): void {
    const queue = this.#queues[input]!;
    let at = 0;
    while (at < n && queue.length) {
      const chunk = queue[0]!;
      const used = Math.min(chunk.length, n - at);
      for (let k = 0; k < used; k++) sum[at + k]! += chunk[k]!;
      at += used;
      if (used === chunk.length) queue.shift();
      else queue[0] = chunk.subarray(used);
    }
    this.#queued[input]! -= at;
  }
}
