/**
 * Incremental pocketsphinx decoding for the streaming lane: a session's open utterance holds one decoder, audio is
 * fed as it arrives and the hypothesis read at any moment for the cost of the new audio only.
 *
 * Streamed and whole decodes must give the same text (a runner that takes a session over rebuilds its state by
 * decoding the utterance from its start), so a stream decoder is made deterministic per utterance: live CMN (batch
 * CMN needs the whole utterance) reset to the model's initial mean at every utterance start, and audio fed to
 * pocketsphinx in fixed blocks counted from the utterance start, whatever pieces it arrived in (live CMN updates its
 * window per call). Its text therefore differs a little from the stateless lane's batch-CMN decode; see
 * docs/architecture.md "The streaming lane".
 *
 * Pocketsphinx decoders are not thread-safe and each holds its own model copy: a bounded pool, one utterance per
 * decoder, every native call on koffi's worker threads and a stream's calls strictly one after another.
 */
import koffi from 'koffi';
import { EarshotError } from '../../shared/errors.ts';
import {
  callAsync,
  cleanHypothesis,
  createSphinxDecoder,
  freeSphinxDecoder,
  loadNative,
  type Decoder,
  type Native,
  type Ptr,
  type SphinxModel,
} from './sphinx.ts';
import type { SttStream, SttStreaming } from './types.ts';

/** Samples per pocketsphinx call (100 ms): the unit both streamed and whole decodes feed in. */
export const STREAM_BLOCK = 1600;

/** The part of sphinxbase's feat_t up to the CMN state (sphinxbase 5prealpha, feat.h). */
const FeatHead = koffi.struct('earshot_feat_head', {
  refcount: 'int',
  name: 'void *',
  cepsize: 'int32_t',
  n_stream: 'int32_t',
  stream_len: 'void *',
  window_size: 'int32_t',
  n_sv: 'int32_t',
  sv_len: 'void *',
  subvecs: 'void *',
  sv_buf: 'void *',
  sv_dim: 'int32_t',
  cmn: 'int',
  varnorm: 'int32_t',
  agc: 'int',
  compute_feat: 'void *',
  cmn_struct: 'void *',
});

interface StreamDecoder {
  decoder: Decoder;
  /** sphinxbase's cmn_t of the decoder's feature computation. */
  cmn: Ptr;
}

export interface SphinxStreamOptions extends SphinxModel {
  /** Streams held at once (each a decoder: about 40 MB); one more decoder serves whole decodes. */
  maxStreams: number;
  extraArgs?: readonly string[];
  pocketsphinxLibrary: string;
  sphinxbaseLibrary: string;
}

/** Decoders made in the background after load (more are made on demand, up to the bound). */
const WARM_DECODERS = 4;

/** The model's initial CMN mean (`-cmninit`), 13 cepstra. */
const CEPSTRA = 13;

export class SphinxStreams implements SttStreaming {
  readonly maxStreams: number;
  readonly #o: SphinxStreamOptions;
  #native: Native | null = null;
  /** Decoders made so far (made on demand, kept for reuse). */
  #made = 0;
  readonly #idle: StreamDecoder[] = [];
  readonly #all: StreamDecoder[] = [];
  #open = 0;
  /** Whole decodes waiting for a decoder. */
  readonly #waiters: ((d: StreamDecoder) => void)[] = [];
  #initialMean: Float32Array | null = null;
  #loading: Promise<void> | null = null;
  #busy = 0;
  #drained: (() => void) | null = null;
  #closing = false;

  constructor(options: SphinxStreamOptions) {
    this.#o = options;
    this.maxStreams = Math.max(0, Math.floor(options.maxStreams));
  }

  get held(): number {
    return this.#open;
  }

  /** Loads the libraries and makes the first decoder, checking that its CMN state can be reset. */
  /** Whether `load` has finished (a runner announces streams only then). */
  get loaded(): boolean {
    return this.#initialMean !== null && this.#native !== null;
  }

  load(): Promise<void> {
    this.#loading ??= this.#load().catch((err: unknown) => {
      this.#loading = null;
      this.#native = null;
      throw err;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    this.#native = loadNative(this.#o.pocketsphinxLibrary, this.#o.sphinxbaseLibrary);
    this.#closing = false;
    this.#idle.push(await this.#make());
    // The rest in the background, one at a time: a decoder costs a model load (seconds of CPU on a busy machine),
    // which sessions should not pay on their first utterance; streams opened meanwhile make their own.
    void this.#warm();
  }

  async #warm(): Promise<void> {
    // A few, not all: on a busy machine a fleet of model loads at start would starve the sessions already running.
    while (this.#native && !this.#closing && this.#made < Math.min(this.maxStreams + 1, WARM_DECODERS)) {
      this.#busy += 1;
      try {
        const d = await this.#make();
        const next = this.#waiters.shift();
        if (next) next(d);
        else this.#idle.push(d);
      } catch {
        return;
      } finally {
        this.#settle();
      }
    }
  }

  async #make(): Promise<StreamDecoder> {
    const native = this.#native!;
    this.#made += 1;
    let decoder: Decoder;
    try {
      decoder = await createSphinxDecoder(native, this.#o, ['-cmn', 'live', ...(this.#o.extraArgs ?? [])]);
    } catch (err) {
      this.#made -= 1;
      throw err;
    }
    const feat = native.ps_get_feat(decoder.ps) as Ptr | null;
    const cmn = feat ? (koffi.decode(feat, FeatHead) as { cmn_struct: Ptr | null }).cmn_struct : null;
    const mean = new Float32Array(CEPSTRA);
    if (cmn) native.cmn_live_get(cmn, mean);
    // A first decoder's mean is the model's -cmninit (41.00 for en-us's c0): anything else means the struct
    // layout is not the one this code knows, and resetting it would corrupt memory.
    if (!cmn || !(mean[0]! > 1 && mean[0]! < 200)) {
      freeSphinxDecoder(native, decoder);
      this.#made -= 1;
      throw new EarshotError(
        'engine_unavailable',
        'this pocketsphinx build does not expose its CMN state as expected; the streaming lane is unavailable',
      );
    }
    this.#initialMean ??= mean;
    const made = { decoder, cmn };
    this.#all.push(made);
    return made;
  }

  /** A decoder for a new stream, or null when `maxStreams` are open (the caller falls back to whole decodes). */
  async open(): Promise<SttStream | null> {
    await this.#loading;
    if (!this.#native || this.#closing) throw new EarshotError('engine_unavailable', 'sphinx streams are not loaded');
    if (this.#open >= this.maxStreams) return null;
    this.#open += 1;
    let d: StreamDecoder;
    try {
      d = this.#idle.pop() ?? (await this.#make());
    } catch (err) {
      this.#open -= 1;
      throw err;
    }
    this.#busy += 1;
    const stream = new SphinxStream(this.#native, d, this.#initialMean!, () => {
      this.#open -= 1;
      this.#release(d);
    });
    try {
      await stream.begin();
    } catch (err) {
      await stream.close();
      throw err;
    }
    return stream;
  }

  /** The text a stream fed `pcm` in any pieces would finish with; waits for a decoder when every one is busy. */
  async decode(pcm: Int16Array): Promise<string> {
    await this.#loading;
    if (!this.#native || this.#closing) throw new EarshotError('engine_unavailable', 'sphinx streams are not loaded');
    this.#busy += 1;
    // One decoder beyond maxStreams serves whole decodes, so a takeover never waits for open streams to end.
    let d = this.#idle.pop();
    try {
      d ??=
        this.#made <= this.maxStreams
          ? await this.#make()
          : await new Promise<StreamDecoder>((r) => this.#waiters.push(r));
    } catch (err) {
      this.#settle();
      throw err;
    }
    const stream = new SphinxStream(this.#native, d, this.#initialMean!, () => this.#release(d));
    try {
      await stream.begin();
      await stream.feed(pcm);
      return await stream.finish();
    } finally {
      await stream.close();
    }
  }

  #release(d: StreamDecoder): void {
    const next = this.#waiters.shift();
    if (next) next(d);
    else this.#idle.push(d);
    this.#settle();
  }

  #settle(): void {
    this.#busy -= 1;
    if (this.#busy === 0) this.#drained?.();
  }

  async close(): Promise<void> {
    await this.#loading?.catch(() => undefined);
    const native = this.#native;
    if (!native || this.#closing) return;
    this.#closing = true;
    if (this.#busy > 0) await new Promise<void>((r) => (this.#drained = r));
    this.#drained = null;
    for (const d of this.#all) freeSphinxDecoder(native, d.decoder);
    this.#all.length = 0;
    this.#idle.length = 0;
    this.#made = 0;
    this.#native = null;
    this.#loading = null;
    this.#initialMean = null;
  }
}

/** One utterance on one decoder. Calls are chained: pocketsphinx must never see two at once. */
class SphinxStream implements SttStream {
  readonly #native: Native;
  readonly #d: StreamDecoder;
  readonly #initialMean: Float32Array;
  readonly #release: () => void;
  /** Samples received but not yet fed (less than a block). */
  #pending = new Int16Array(0);
  #fed = 0;
  #audible = false;
  #chain: Promise<unknown> = Promise.resolve();
  #state: 'new' | 'open' | 'ended' | 'closed' = 'new';

  constructor(native: Native, d: StreamDecoder, initialMean: Float32Array, release: () => void) {
    this.#native = native;
    this.#d = d;
    this.#initialMean = initialMean;
    this.#release = release;
  }

  get fed(): number {
    return this.#fed;
  }

  #run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  begin(): Promise<void> {
    return this.#run(async () => {
      // Every utterance starts from the model's mean, not from what this decoder heard before.
      this.#native.cmn_live_set(this.#d.cmn, this.#initialMean);
      if ((await callAsync(this.#native.ps_start_utt, this.#d.decoder.ps)) < 0)
        throw new EarshotError('stt_failed', 'ps_start_utt failed');
      this.#state = 'open';
    });
  }

  feed(pcm: Int16Array): Promise<void> {
    const copy = pcm.slice();
    this.#fed += copy.length;
    return this.#run(async () => {
      if (this.#state !== 'open') throw new EarshotError('stt_failed', 'the stream is not open');
      if (!this.#audible && copy.some((x) => x > 16 || x < -16)) this.#audible = true;
      const data = concat(this.#pending, copy);
      let at = 0;
      for (; at + STREAM_BLOCK <= data.length; at += STREAM_BLOCK)
        await this.#process(data.slice(at, at + STREAM_BLOCK));
      this.#pending = data.slice(at);
    });
  }

  async #process(block: Int16Array): Promise<void> {
    const d = this.#d.decoder;
    d.inFlight = block;
    try {
      if ((await callAsync(this.#native.ps_process_raw, d.ps, block, block.length, 0, 0)) < 0)
        throw new EarshotError('stt_failed', 'ps_process_raw failed');
    } finally {
      d.inFlight = null;
    }
  }

  hypothesis(): Promise<string> {
    return this.#run(async () => {
      if (this.#state !== 'open' || !this.#audible) return '';
      return cleanHypothesis(await callAsync<string | null>(this.#native.ps_get_hyp, this.#d.decoder.ps, [0]));
    });
  }

  finish(): Promise<string> {
    return this.#run(async () => {
      if (this.#state !== 'open') throw new EarshotError('stt_failed', 'the stream is not open');
      if (this.#pending.length > 0) await this.#process(this.#pending);
      this.#pending = new Int16Array(0);
      this.#state = 'ended';
      if ((await callAsync(this.#native.ps_end_utt, this.#d.decoder.ps)) < 0)
        throw new EarshotError('stt_failed', 'ps_end_utt failed');
      // Nothing audible: the recogniser would guess words for digital silence (as the stateless decode says).
      if (!this.#audible) return '';
      return cleanHypothesis(await callAsync<string | null>(this.#native.ps_get_hyp, this.#d.decoder.ps, [0]));
    });
  }

  close(): Promise<void> {
    return this.#run(async () => {
      if (this.#state === 'closed') return;
      // An utterance left open would make the decoder's next ps_start_utt fail.
      if (this.#state === 'open') await callAsync(this.#native.ps_end_utt, this.#d.decoder.ps).catch(() => undefined);
      this.#state = 'closed';
      this.#release();
    });
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  if (a.length === 0) return b;
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
