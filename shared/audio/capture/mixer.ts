/**
 * Mixes several live PCM16 streams into one (`--source both`: the microphone plus what the computer plays).
 * Recorders are separate processes with their own clocks, so samples are aligned by arrival: the n-th sample
 * of each input is mixed with the n-th of the others, and output waits for the slowest input. An input that
 * stalls for longer than `maxLag` is treated as silence for that stretch (and its late samples are skipped), so
 * one stuck recorder never holds the other back; an input that ended no longer counts. Sums clip to PCM16.
 */
export class PcmMixer {
  readonly #queues: Int16Array[][];
  readonly #queued: number[];
  readonly #ended: boolean[];
  /** Samples an input owes: they arrived too late and were already mixed as silence. */
  readonly #skip: number[];
  readonly #emit: (pcm: Int16Array) => void;
  readonly #maxLag: number;
  #mixed = 0;

  constructor(inputs: number, emit: (pcm: Int16Array) => void, maxLag: number) {
    this.#queues = Array.from({ length: inputs }, () => []);
    this.#queued = new Array<number>(inputs).fill(0);
    this.#ended = new Array<boolean>(inputs).fill(false);
    this.#skip = new Array<number>(inputs).fill(0);
    this.#emit = emit;
    this.#maxLag = maxLag;
  }

  /** Samples emitted so far. */
  get samples(): number {
    return this.#mixed;
  }

  push(input: number, pcm: Int16Array): void {
    if (this.#ended[input]) return;
    const skipped = Math.min(this.#skip[input]!, pcm.length);
    this.#skip[input]! -= skipped;
    if (skipped === pcm.length) return;
    this.#queues[input]!.push(skipped ? pcm.subarray(skipped) : pcm);
    this.#queued[input]! += pcm.length - skipped;
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
    if (lead - n > this.#maxLag) {
      n = lead - this.#maxLag;
      // The stalled inputs' missing stretch becomes silence; what they deliver for it later is dropped.
      this.#queued.forEach((queued, i) => {
        if (!this.#ended[i] && queued < n) this.#skip[i]! += n - queued;
      });
    }
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
