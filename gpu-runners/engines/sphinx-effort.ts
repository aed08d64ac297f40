/**
 * Sphinx at two efforts: `full` requests go to the usual decoder pool, `fast` ones (a runner catching up, a first
 * pass) to a second pool whose search is narrower. Decoder settings are fixed when a pocketsphinx decoder is made,
 * so each effort has its own decoders rather than one pool switching beams.
 *
 * The fast settings cap active HMMs per frame and skip the flat-lexicon second pass: on the librivox set about half
 * the decode time (real-time factor 0.15 → 0.08 per decoder) for a word error rate of 37 % instead of 28 %. Narrower
 * -beam/-wbeam/-pbeam alone cost far more accuracy for the same speed (55 % at 1e-40), so they stay at the defaults.
 */
import { SphinxEngine, type SphinxOptions } from './sphinx.ts';
import type { SttEngine, SttRequest, SttResult, SttStreaming } from './types.ts';

export const SPHINX_FAST_ARGS: readonly string[] = ['-maxhmmpf', '2000', '-maxwpf', '10', '-fwdflat', 'no'];

export class EffortSphinxEngine implements SttEngine {
  readonly name = 'sphinx';
  readonly languages: readonly string[];
  readonly #full: SphinxEngine;
  readonly #fast: SphinxEngine;
  /** The streaming lane's decoders: the full engine's (streams never fall behind into `fast`). */
  readonly streaming?: SttStreaming;

  constructor(options: SphinxOptions = {}) {
    this.#full = new SphinxEngine(options);
    this.#fast = new SphinxEngine({
      ...options,
      maxStreams: 0,
      extraArgs: [...(options.extraArgs ?? []), ...SPHINX_FAST_ARGS],
    });
    this.languages = this.#full.languages;
    this.streaming = this.#full.streaming;
  }

  /** The fast pool loads on first use (a few hundred ms, once): most deployments seldom fall behind. */
  #fastLoading: Promise<void> | undefined;

  load(): Promise<void> {
    return this.#full.load();
  }

  async #fastEngine(): Promise<SphinxEngine> {
    this.#fastLoading ??= this.#fast.load().catch((err: unknown) => {
      this.#fastLoading = undefined;
      throw err;
    });
    await this.#fastLoading;
    return this.#fast;
  }

  async transcribe(batch: readonly SttRequest[], signal?: AbortSignal): Promise<SttResult[]> {
    const isFast = batch.map((r) => r.effort === 'fast');
    const [fastOut, fullOut] = await Promise.all([
      isFast.some(Boolean)
        ? this.#fastEngine().then((e) =>
            e.transcribe(
              batch.filter((_, i) => isFast[i]),
              signal,
            ),
          )
        : [],
      isFast.some((f) => !f)
        ? this.#full.transcribe(
            batch.filter((_, i) => !isFast[i]),
            signal,
          )
        : [],
    ]);
    // Each engine answers in its requests' order: interleave back into the batch's.
    return isFast.map((fast) => (fast ? fastOut.shift() : fullOut.shift())!);
  }

  async close(): Promise<void> {
    const fastLoading = this.#fastLoading;
    this.#fastLoading = undefined;
    await Promise.all([
      this.#full.close(),
      fastLoading?.then(
        () => this.#fast.close(),
        () => undefined,
      ),
    ]);
  }
}
