/**
 * The embedded wake-word engine: pocketsphinx keyphrase spotting (its `kws` search) on Debian's US English model.
 * One decoder per waiting session, fed continuously (one long utterance, live CMN); every call runs on koffi's
 * worker threads. Words the dictionary lacks are pronounced through espeak-ng (sphinx-pronounce.ts).
 */
import path from 'node:path';
import { EarshotError } from '../../shared/errors.ts';
import {
  callAsync,
  createSphinxDecoder,
  freeSphinxDecoder,
  loadNative,
  type Decoder,
  type Native as SphinxNative,
} from '../../gpu-runners/engines/sphinx.ts';
import { Pronouncer } from '../../gpu-runners/engines/sphinx-pronounce.ts';
import {
  DEFAULT_WAKE_SENSITIVITY,
  WAKE_SAMPLE_RATE,
  type WakeDetection,
  type WakeWordDetector,
  type WakeWordFactory,
  type WakeWordSpec,
} from './detector.ts';

export interface SphinxKwsOptions {
  modelDir?: string;
  /** Overrides the threshold sensitivity maps to (kws_threshold, e.g. 1e-20). */
  threshold?: number;
}

const SEARCH = 'wake';
const MAX_PHRASE_WORDS = 6;

/**
 * Sensitivity s ∈ [0, 1] → kws_threshold 10^(−5 − 40·s): a lower threshold accepts a worse match. 0.5 is 1e-25,
 * within pocketsphinx's advice (1e-20 … 1e-40) for a two- or three-word phrase; bench:wake measures the trade.
 */
export const kwsThreshold = (sensitivity: number): number => 10 ** (-5 - 40 * Math.min(1, Math.max(0, sensitivity)));

export function normalisePhrase(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' -]/gu, ' ')
    .split(/[\s-]+/)
    .filter(Boolean);
}

export class SphinxKwsDetector implements WakeWordDetector {
  readonly engine = 'sphinx-kws';
  readonly #native: SphinxNative;
  readonly #decoder: Decoder;
  readonly #phrase: string;
  #fed = 0;
  #closed = false;
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(native: SphinxNative, decoder: Decoder, phrase: string) {
    this.#native = native;
    this.#decoder = decoder;
    this.#phrase = phrase;
  }

  static async create(spec: WakeWordSpec, options: SphinxKwsOptions = {}): Promise<SphinxKwsDetector> {
    const words = normalisePhrase(spec.phrase);
    if (words.length === 0 || words.length > MAX_PHRASE_WORDS) {
      throw new EarshotError(
        'unsupported_wake_word',
        `a wake word is 1 to ${MAX_PHRASE_WORDS} words, got "${spec.phrase.slice(0, 80)}"`,
      );
    }
    const modelDir = options.modelDir ?? '/usr/share/pocketsphinx/model/en-us';
    const hmm = path.join(modelDir, 'en-us');
    const dict = path.join(modelDir, 'cmudict-en-us.dict');
    const pronouncer = new Pronouncer(dict);
    const missing = [...new Set(words.filter((w) => !pronouncer.lookup(w)))];
    const phones = await pronouncer.espeak(missing);
    const unpronounceable = missing.filter((_, i) => !phones[i]);
    if (unpronounceable.length > 0)
      throw new EarshotError(
        'unsupported_wake_word',
        `no pronunciation for ${unpronounceable.join(', ')} (is espeak-ng installed?)`,
      );
    const native = loadNative('libpocketsphinx.so.3', 'libsphinxbase.so.3');
    const threshold = options.threshold ?? kwsThreshold(spec.sensitivity ?? DEFAULT_WAKE_SENSITIVITY);
    // No language model: the decoder starts with no search; the keyphrase search is added once its words are known.
    const decoder = await createSphinxDecoder(native, { hmm, dict }, ['-kws_threshold', String(threshold)]);
    try {
      for (const [i, word] of missing.entries()) {
        if ((await callAsync(native.ps_add_word, decoder.ps, word, phones[i], 1)) < 0)
          throw new EarshotError('unsupported_wake_word', `sphinx could not add "${word}"`);
      }
      const phrase = words.join(' ');
      if ((await callAsync(native.ps_set_keyphrase, decoder.ps, SEARCH, phrase)) < 0)
        throw new EarshotError('unsupported_wake_word', `sphinx refused the keyphrase "${phrase}"`);
      if ((await callAsync(native.ps_set_search, decoder.ps, SEARCH)) < 0)
        throw new EarshotError('unsupported_wake_word', 'sphinx could not switch to keyphrase search');
      if ((await callAsync(native.ps_start_utt, decoder.ps)) < 0)
        throw new EarshotError('engine_unavailable', 'ps_start_utt failed');
      return new SphinxKwsDetector(native, decoder, spec.phrase);
    } catch (err) {
      freeSphinxDecoder(native, decoder);
      throw err;
    }
  }

  process(pcm: Int16Array): Promise<WakeDetection[]> {
    if (this.#closed) return Promise.reject(new EarshotError('engine_unavailable', 'wake-word detector is closed'));
    const run = this.#busy.then(() => this.#step(pcm));
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #step(pcm: Int16Array): Promise<WakeDetection[]> {
    if (this.#closed) return [];
    const n = this.#native;
    const ps = this.#decoder.ps;
    this.#decoder.inFlight = pcm;
    try {
      if ((await callAsync(n.ps_process_raw, ps, pcm, pcm.length, 0, 0)) < 0)
        throw new EarshotError('stt_failed', 'ps_process_raw failed');
    } finally {
      this.#decoder.inFlight = null;
    }
    this.#fed += pcm.length;
    const hyp = n.ps_get_hyp(ps, [0]) as string | null;
    if (!hyp?.trim()) return [];
    // Restart the utterance: the search forgets the detection (kws would otherwise report it again).
    await callAsync(n.ps_end_utt, ps);
    await callAsync(n.ps_start_utt, ps);
    return [{ phrase: this.#phrase, at: this.#fed / WAKE_SAMPLE_RATE }];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#busy;
    await callAsync(this.#native.ps_end_utt, this.#decoder.ps).catch(() => undefined);
    freeSphinxDecoder(this.#native, this.#decoder);
  }
}

export const sphinxKwsFactory =
  (options: SphinxKwsOptions = {}): WakeWordFactory =>
  (spec) =>
    SphinxKwsDetector.create(spec, options);
