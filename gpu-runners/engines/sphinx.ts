/**
 * CPU speech-to-text through CMU PocketSphinx (Debian's 0.8+5prealpha build), called over FFI with koffi.
 * Decoding runs on koffi's worker threads (`fn.async`), so the event loop of the process hosting the engine
 * (and its WebSocket server) stays responsive while an utterance is decoded.
 */
import fs from 'node:fs';
import path from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { EarshotError } from '../../shared/errors.ts';
import type { GlossaryTerm } from '../../shared/glossary.ts';
import { Pronouncer, type TermWord } from './sphinx-pronounce.ts';
import { SphinxStreams } from './sphinx-stream.ts';
import type { SttEngine, SttRequest, SttResult, SttStreaming } from './types.ts';

const INSTALL_HINT = 'install it with `apt-get install pocketsphinx pocketsphinx-en-us`';

export interface SphinxOptions {
  /** Directory holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict`. */
  modelDir?: string;
  /** Acoustic model directory; overrides `<modelDir>/en-us`. */
  hmm?: string;
  /** Language model; overrides `<modelDir>/en-us.lm.bin`. */
  lm?: string;
  /** Pronunciation dictionary; overrides `<modelDir>/cmudict-en-us.dict`. */
  dict?: string;
  /** Decoders in the pool, i.e. utterances decoded in parallel (default 1). Each holds its own model copy. */
  decoders?: number;
  /**
   * Decoders kept for glossaries besides the pool (default 4): words added to a decoder cannot be removed, so each
   * distinct glossary gets its own decoder, and the least recently used idle one is freed for a new glossary.
   */
  glossaryDecoders?: number;
  /** More decoder arguments, e.g. narrower beams (see sphinx-effort.ts). */
  extraArgs?: readonly string[];
  /** Streaming lane: utterance states (decoders) held at once; 0 (default) disables streaming. */
  maxStreams?: number;
  /** Shared-library names or paths (defaults: libpocketsphinx.so.3 and libsphinxbase.so.3). */
  pocketsphinxLibrary?: string;
  sphinxbaseLibrary?: string;
}

export type Ptr = bigint;
export type NativeFn = ReturnType<LibraryHandle['func']>;

export interface Native {
  ps_args: NativeFn;
  cmd_ln_parse_r: NativeFn;
  cmd_ln_free_r: NativeFn;
  ps_init: NativeFn;
  ps_free: NativeFn;
  ps_start_utt: NativeFn;
  ps_process_raw: NativeFn;
  ps_end_utt: NativeFn;
  ps_get_hyp: NativeFn;
  ps_add_word: NativeFn;
  ps_get_feat: NativeFn;
  cmn_live_set: NativeFn;
  cmn_live_get: NativeFn;
  ps_set_keyphrase: NativeFn;
  ps_set_search: NativeFn;
}

export interface Decoder {
  ps: Ptr;
  config: Ptr;
  /** The buffer native code is reading; referenced here so it stays alive until the async call returns. */
  inFlight: Int16Array | null;
  /** Native strings its config references (cmd_ln keeps argv pointers as hash keys): freed with the decoder. */
  argv: Ptr[];
}

/** A decoder that knows one glossary's words; used by one utterance at a time. */
interface GlossaryDecoder {
  key: string;
  /** Resolves once the decoder is built and its words added. */
  ready: Promise<Decoder>;
  decoder: Decoder | null;
  busy: boolean;
  /** Utterances waiting for this decoder; each is handed it directly on release. */
  waiters: Array<() => void>;
  /** Added word → the glossary term it stands for. */
  terms: Map<string, string>;
}

/** Libraries are loaded once per process and path pair; koffi keeps them mapped anyway. */
const nativeCache = new Map<string, Native>();
/**
 * `-logfn` swaps sphinxbase's global log FILE* (closing the previous one), which would race with decoders that
 * are logging on worker threads. Only the first decoder of the process sets it; later ones inherit it.
 */
let logSilenced = false;

export function loadNative(psLib: string, sbLib: string): Native {
  const key = `${psLib}\0${sbLib}`;
  const cached = nativeCache.get(key);
  if (cached) return cached;
  let ps: LibraryHandle;
  let sb: LibraryHandle;
  try {
    sb = koffi.load(sbLib);
    ps = koffi.load(psLib);
  } catch (err) {
    throw new EarshotError(
      'engine_unavailable',
      `pocketsphinx library not found (${(err as Error).message}); ${INSTALL_HINT}`,
      { cause: err },
    );
  }
  const native: Native = {
    ps_args: ps.func('void *ps_args(void)'),
    cmd_ln_parse_r: sb.func('void *cmd_ln_parse_r(void *inout, void *defn, int32_t argc, void **argv, int32_t strict)'),
    cmd_ln_free_r: sb.func('int cmd_ln_free_r(void *cmdln)'),
    ps_init: ps.func('void *ps_init(void *config)'),
    ps_free: ps.func('int ps_free(void *ps)'),
    ps_start_utt: ps.func('int ps_start_utt(void *ps)'),
    ps_process_raw: ps.func(
      'int ps_process_raw(void *ps, const int16_t *data, size_t n_samples, int no_search, int full_utt)',
    ),
    ps_end_utt: ps.func('int ps_end_utt(void *ps)'),
    ps_get_hyp: ps.func('const char *ps_get_hyp(void *ps, _Out_ int32_t *out_best_score)'),
    ps_add_word: ps.func('int ps_add_word(void *ps, const char *word, const char *phones, int update)'),
    ps_get_feat: ps.func('void *ps_get_feat(void *ps)'),
    cmn_live_set: sb.func('void cmn_live_set(void *cmn, const float *vec)'),
    cmn_live_get: sb.func('void cmn_live_get(void *cmn, _Out_ float *vec)'),
    ps_set_keyphrase: ps.func('int ps_set_keyphrase(void *ps, const char *name, const char *keyphrase)'),
    ps_set_search: ps.func('int ps_set_search(void *ps, const char *name)'),
  };
  nativeCache.set(key, native);
  return native;
}

/** Promise wrapper over koffi's `(…args, callback)` async calls, which run on a worker thread. */
export function callAsync<T = number>(fn: NativeFn, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err: unknown, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Model paths of a decoder. */
export interface SphinxModel {
  hmm: string;
  /** Absent: no language model (a keyphrase search is set afterwards, edge/wake/sphinx-kws.ts). */
  lm?: string;
  dict: string;
}

/** A pocketsphinx decoder on `model` with `args` (CMN and search settings); built on a worker thread. */
export async function createSphinxDecoder(
  native: Native,
  model: SphinxModel,
  args: readonly string[],
): Promise<Decoder> {
  const all = [
    '-hmm',
    model.hmm,
    ...(model.lm ? ['-lm', model.lm] : []),
    '-dict',
    model.dict,
    '-remove_noise',
    'no',
    '-remove_silence',
    'no',
    ...args,
  ];
  if (!logSilenced) all.push('-logfn', '/dev/null');
  const memory: Ptr[] = [];
  const argv = all.map((s) => {
    const bytes = Buffer.byteLength(s) + 1;
    const mem: Ptr = koffi.alloc('char', bytes);
    koffi.encode(mem, 'char', `${s}\0`, bytes);
    memory.push(mem);
    return mem;
  });
  const config: Ptr | null = native.cmd_ln_parse_r(null, native.ps_args(), argv.length, argv, 1);
  if (!config) {
    for (const mem of memory) koffi.free(mem);
    throw new EarshotError('engine_unavailable', 'pocketsphinx rejected its configuration');
  }
  logSilenced = true;
  // Loading the model takes a few hundred ms: keep it off the event loop too.
  const ps = await callAsync<Ptr | null>(native.ps_init, config);
  if (!ps) {
    native.cmd_ln_free_r(config);
    for (const mem of memory) koffi.free(mem);
    throw new EarshotError(
      'engine_unavailable',
      `pocketsphinx failed to load its model (${model.hmm}); ${INSTALL_HINT}`,
    );
  }
  return { ps, config, inFlight: null, argv: memory };
}

/** Frees a decoder no call is using. */
export function freeSphinxDecoder(native: Native, d: Decoder): void {
  native.ps_free(d.ps); // drops the decoder's reference to the config
  native.cmd_ln_free_r(d.config); // and this drops ours
  for (const mem of d.argv) koffi.free(mem);
}

/** Sphinx hypotheses can carry fillers (`<sil>`, `[NOISE]`, `++BREATH++`) and pronunciation variants (`word(2)`). */
export function cleanHypothesis(hyp: string | null | undefined): string {
  if (!hyp) return '';
  return hyp
    .split(/\s+/)
    .filter((w) => w && !/^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(w))
    .map((w) => w.replace(/\(\d+\)$/, ''))
    .join(' ');
}

/** PocketSphinx-backed {@link SttEngine}: English only, one utterance per decoder at a time, a pool of decoders. */
export class SphinxEngine implements SttEngine {
  readonly name = 'sphinx';
  readonly languages: readonly string[] = ['en'];

  private readonly opts: Required<Omit<SphinxOptions, 'modelDir'>>;
  /** The streaming lane's decoders (see sphinx-stream.ts); absent when maxStreams is 0. */
  readonly streaming?: SttStreaming;
  private readonly pronouncer: Pronouncer;
  /** Glossary decoders by key, least recently used first. */
  private glossaryPool = new Map<string, GlossaryDecoder>();
  /** Utterances waiting for room in the glossary pool (every glossary decoder busy). */
  private glossaryWaiters: Array<() => void> = [];
  /** Pronunciations per glossary (the JSON of its terms), so a session's utterances work them out once. */
  private termWordsCache = new Map<string, Promise<TermWord[]>>();
  /** Decoders of either pool in use: close() waits for none. */
  private busy = 0;
  private native: Native | null = null;
  private decoders: Decoder[] = [];
  private idle: Decoder[] = [];
  private waiters: Array<(d: Decoder) => void> = [];
  /** Resolves close() once every decoder is back in the pool. */
  private drained: (() => void) | null = null;
  private closing = false;
  private loading: Promise<void> | null = null;

  constructor(options: SphinxOptions = {}) {
    const modelDir = options.modelDir ?? '/usr/share/pocketsphinx/model/en-us';
    this.opts = {
      hmm: options.hmm ?? path.join(modelDir, 'en-us'),
      lm: options.lm ?? path.join(modelDir, 'en-us.lm.bin'),
      dict: options.dict ?? path.join(modelDir, 'cmudict-en-us.dict'),
      decoders: Math.max(1, Math.floor(options.decoders ?? 1)),
      extraArgs: options.extraArgs ?? [],
      glossaryDecoders: Math.max(1, Math.floor(options.glossaryDecoders ?? 4)),
      maxStreams: Math.max(0, Math.floor(options.maxStreams ?? 0)),
      pocketsphinxLibrary: options.pocketsphinxLibrary ?? 'libpocketsphinx.so.3',
      sphinxbaseLibrary: options.sphinxbaseLibrary ?? 'libsphinxbase.so.3',
    };
    this.pronouncer = new Pronouncer(this.opts.dict);
    // Streams skip the flat-lexicon second pass: it would run at the utterance's end, on the final's critical path
    // (a 4× longer finish), for no change in word error rate on the librivox set (31.0 % either way).
    if (this.opts.maxStreams > 0) {
      this.streaming = new SphinxStreams({ ...this.opts, extraArgs: ['-fwdflat', 'no', ...this.opts.extraArgs] });
    }
  }

  /** Loads the libraries and builds the decoder pool. Throws `engine_unavailable` when sphinx or its model is missing. */
  load(): Promise<void> {
    // Concurrent callers share one load instead of each building a pool.
    this.loading ??= this.doLoad().finally(() => (this.loading = null));
    return this.loading;
  }

  private async doLoad(): Promise<void> {
    if (this.native) return;
    // Sphinx E_FATALs (exits the process) on some missing model files, so check them before ps_init does.
    const missing = [path.join(this.opts.hmm, 'mdef'), this.opts.lm, this.opts.dict].filter((f) => !fs.existsSync(f));
    if (missing.length > 0) {
      throw new EarshotError(
        'engine_unavailable',
        `pocketsphinx model files missing: ${missing.join(', ')}; ${INSTALL_HINT}`,
      );
    }
    const native = loadNative(this.opts.pocketsphinxLibrary, this.opts.sphinxbaseLibrary);
    this.closing = false;
    try {
      for (let i = 0; i < this.opts.decoders; i++) this.decoders.push(await this.createDecoder(native));
    } catch (err) {
      this.freeAll(native);
      throw err;
    }
    this.idle = [...this.decoders];
    this.native = native;
  }

  private createDecoder(native: Native): Promise<Decoder> {
    // Batch CMN normalises each utterance over itself. The default (live) carries the mean over from whatever the
    // decoder heard before, so the same utterance would decode differently depending on other sessions' audio.
    // Decoders are shared by all sessions, so no state may carry from one utterance to the next: live CMN, the
    // noise-removal filter and silence removal (its noise floor) all adapt to whatever the decoder heard before,
    // which made the same utterance decode differently depending on other sessions' audio (and on faults, which
    // change what a decoder hears in between). Batch CMN with neither filter is deterministic, at the same word
    // error rate on the librivox set (28.2 %). Utterances arrive already cut by the edge's VAD.
    return createSphinxDecoder(native, this.opts, ['-cmn', 'batch', ...this.opts.extraArgs]);
  }

  async transcribe(batch: readonly SttRequest[], signal?: AbortSignal): Promise<SttResult[]> {
    if (!this.native || this.closing) throw new EarshotError('engine_unavailable', 'sphinx engine is not loaded');
    for (const req of batch) {
      if (req.language !== undefined && !this.languages.includes(req.language)) {
        throw new EarshotError('unsupported_language', `sphinx transcribes only English, not '${req.language}'`);
      }
    }
    let failed = false;
    const one = async (req: SttRequest): Promise<SttResult> => {
      const words = req.glossary?.length ? await this.termWords(req.glossary) : [];
      const held = words.length > 0 ? await this.acquireGlossary(words) : null;
      const decoder = held ? held.decoder! : await this.acquire();
      try {
        // Checked once a decoder is ours, i.e. right before the utterance starts, so an abort or a sibling's
        // failure stops the rest of the batch without interrupting an utterance already in native code.
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        if (this.closing) throw new EarshotError('engine_unavailable', 'sphinx engine is closing');
        if (failed) throw new EarshotError('stt_failed', 'batch abandoned after an earlier failure');
        const text = await this.decode(decoder, req.pcm);
        // Added words are whole terms ("zorbax_pro"): write them as the glossary does.
        return {
          id: req.id,
          text: held
            ? text
                .split(' ')
                .map((w) => held.terms.get(w) ?? w)
                .join(' ')
            : text,
        };
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        if (held) this.releaseGlossary(held);
        else this.release(decoder);
      }
    };
    return Promise.all(batch.map(one));
  }

  private async decode(d: Decoder, pcm: Int16Array): Promise<string> {
    const n = this.native!;
    // Nothing audible (digital silence, below -66 dBFS): the recogniser would guess words for it, since silence
    // removal is off (see createDecoder).
    if (!pcm.some((x) => x > 16 || x < -16)) return '';
    d.inFlight = pcm;
    try {
      if ((await callAsync(n.ps_start_utt, d.ps)) < 0) throw new EarshotError('stt_failed', 'ps_start_utt failed');
      let frames: number;
      try {
        // full_utt=1: the whole utterance is in this one buffer, which lets sphinx normalise over all of it.
        frames = await callAsync(n.ps_process_raw, d.ps, pcm, pcm.length, 0, 1);
      } finally {
        // Always close the utterance so the decoder is reusable even when processing failed.
        const ended = await callAsync(n.ps_end_utt, d.ps);
        if (ended < 0) throw new EarshotError('stt_failed', 'ps_end_utt failed');
      }
      if (frames < 0) throw new EarshotError('stt_failed', 'ps_process_raw failed');
      const score = [0];
      return cleanHypothesis(n.ps_get_hyp(d.ps, score) as string | null);
    } catch (err) {
      if (err instanceof EarshotError) throw err;
      throw new EarshotError('stt_failed', `sphinx decode failed: ${(err as Error).message}`, { cause: err });
    } finally {
      d.inFlight = null;
    }
  }

  private async acquire(): Promise<Decoder> {
    this.busy += 1;
    const d = this.idle.pop();
    if (d) return d;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(d: Decoder): void {
    const next = this.waiters.shift();
    if (next) next(d);
    else this.idle.push(d);
    this.settle();
  }

  private settle(): void {
    this.busy -= 1;
    if (this.drained && this.busy === 0) this.drained();
  }

  private termWords(glossary: readonly GlossaryTerm[]): Promise<TermWord[]> {
    const key = JSON.stringify(glossary);
    let words = this.termWordsCache.get(key);
    if (!words) {
      words = this.pronouncer.termWords(glossary);
      this.termWordsCache.set(key, words);
      if (this.termWordsCache.size > 256) this.termWordsCache.delete(this.termWordsCache.keys().next().value!);
    }
    return words;
  }

  /**
   * The decoder of a glossary, made on first use: a fresh decoder (the shared pool's never learn words, so no
   * session's terms reach another's transcripts) with each term added to its dictionary and language model.
   */
  private async acquireGlossary(words: readonly TermWord[]): Promise<GlossaryDecoder> {
    this.busy += 1;
    const key = words
      .map((w) => `${w.word} ${w.phones}`)
      .sort()
      .join('\n');
    for (;;) {
      if (this.closing) {
        this.settle();
        throw new EarshotError('engine_unavailable', 'sphinx engine is closing');
      }
      let g = this.glossaryPool.get(key);
      if (g) {
        this.glossaryPool.delete(key); // re-insert: most recently used last
        this.glossaryPool.set(key, g);
        if (g.busy) await new Promise<void>((resolve) => g!.waiters.push(resolve));
        g.busy = true;
      } else {
        if (this.glossaryPool.size >= this.opts.glossaryDecoders) {
          const victim = [...this.glossaryPool.values()].find((v) => !v.busy && v.waiters.length === 0);
          if (!victim) {
            await new Promise<void>((resolve) => this.glossaryWaiters.push(resolve));
            continue;
          }
          this.glossaryPool.delete(victim.key);
          this.freeDecoderLater(victim.decoder!);
        }
        g = {
          key,
          ready: this.buildGlossaryDecoder(words),
          decoder: null,
          busy: true,
          waiters: [],
          terms: new Map(words.map((w) => [w.word, w.term])),
        };
        this.glossaryPool.set(key, g);
      }
      try {
        g.decoder = await g.ready;
      } catch (err) {
        if (this.glossaryPool.get(key) === g) this.glossaryPool.delete(key);
        this.releaseGlossary(g);
        throw err;
      }
      return g;
    }
  }

  private releaseGlossary(g: GlossaryDecoder): void {
    const next = g.waiters.shift();
    if (next)
      next(); // handed over: stays busy
    else {
      g.busy = false;
      this.glossaryWaiters.shift()?.();
    }
    this.settle();
  }

  private async buildGlossaryDecoder(words: readonly TermWord[]): Promise<Decoder> {
    const native = this.native!;
    const d = await this.createDecoder(native);
    for (const [i, w] of words.entries()) {
      // On koffi's worker thread like decoding: each word costs a dictionary and language-model update, and the
      // last (update=1) rebuilds the search, hundreds of ms for a large glossary that must not stall the edge.
      const wid = await callAsync(native.ps_add_word, d.ps, w.word, w.phones, i === words.length - 1 ? 1 : 0);
      if (wid < 0) {
        this.freeDecoderLater(d);
        throw new EarshotError('stt_failed', `sphinx could not add the glossary word "${w.word}" (${w.phones})`);
      }
    }
    return d;
  }

  /** Frees an idle decoder on koffi's worker thread (freeing a language model is slow too); close() waits for it. */
  private freeDecoderLater(d: Decoder): void {
    const native = this.native!;
    this.busy += 1;
    void callAsync(native.ps_free, d.ps)
      .catch(() => undefined)
      .then(() => {
        native.cmd_ln_free_r(d.config);
        for (const mem of d.argv) koffi.free(mem);
        this.settle();
      });
  }

  private freeDecoder(d: Decoder, native = this.native!): void {
    freeSphinxDecoder(native, d);
  }

  /** Waits for utterances in progress (freeing a decoder under a worker thread would crash), then frees the pool. */
  async close(): Promise<void> {
    const native = this.native;
    if (!native || this.closing) return;
    this.closing = true;
    for (const wake of this.glossaryWaiters.splice(0)) wake(); // they see `closing` and give up
    if (this.busy > 0) {
      await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = null;
    }
    this.freeAll(native);
    this.native = null;
    await this.streaming?.close();
  }

  private freeAll(native: Native): void {
    for (const d of this.decoders) this.freeDecoder(d, native);
    for (const g of this.glossaryPool.values()) if (g.decoder) this.freeDecoder(g.decoder, native);
    this.glossaryPool.clear();
    this.decoders = [];
    this.idle = [];
  }
}
