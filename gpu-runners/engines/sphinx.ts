/**
 * CPU speech-to-text through CMU PocketSphinx (Debian's 0.8+5prealpha build), called over FFI with koffi.
 * Decoding runs on koffi's worker threads (`fn.async`), so the event loop of the process hosting the engine
 * (and its WebSocket server) stays responsive while an utterance is decoded.
 */
import fs from 'node:fs';
import path from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { EarshotError } from '../../shared/errors.ts';
import type { SttEngine, SttRequest, SttResult } from './types.ts';

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
  /** Shared-library names or paths (defaults: libpocketsphinx.so.3 and libsphinxbase.so.3). */
  pocketsphinxLibrary?: string;
  sphinxbaseLibrary?: string;
}

type Ptr = bigint;
type NativeFn = ReturnType<LibraryHandle['func']>;

interface Native {
  ps_args: NativeFn;
  cmd_ln_parse_r: NativeFn;
  cmd_ln_free_r: NativeFn;
  ps_init: NativeFn;
  ps_free: NativeFn;
  ps_start_utt: NativeFn;
  ps_process_raw: NativeFn;
  ps_end_utt: NativeFn;
  ps_get_hyp: NativeFn;
}

interface Decoder {
  ps: Ptr;
  config: Ptr;
  /** The buffer native code is reading; referenced here so it stays alive until the async call returns. */
  inFlight: Int16Array | null;
}

/** Libraries are loaded once per process and path pair; koffi keeps them mapped anyway. */
const nativeCache = new Map<string, Native>();
/**
 * `-logfn` swaps sphinxbase's global log FILE* (closing the previous one), which would race with decoders that
 * are logging on worker threads. Only the first decoder of the process sets it; later ones inherit it.
 */
let logSilenced = false;

function loadNative(psLib: string, sbLib: string): Native {
  const key = `${psLib}\0${sbLib}`;
  const cached = nativeCache.get(key);
  if (cached) return cached;
  let ps: LibraryHandle;
  let sb: LibraryHandle;
  try {
    sb = koffi.load(sbLib);
    ps = koffi.load(psLib);
  } catch (err) {
    throw new EarshotError('engine_unavailable', `pocketsphinx library not found (${(err as Error).message}); ${INSTALL_HINT}`, { cause: err });
  }
  const native: Native = {
    ps_args: ps.func('void *ps_args(void)'),
    cmd_ln_parse_r: sb.func('void *cmd_ln_parse_r(void *inout, void *defn, int32_t argc, void **argv, int32_t strict)'),
    cmd_ln_free_r: sb.func('int cmd_ln_free_r(void *cmdln)'),
    ps_init: ps.func('void *ps_init(void *config)'),
    ps_free: ps.func('int ps_free(void *ps)'),
    ps_start_utt: ps.func('int ps_start_utt(void *ps)'),
    ps_process_raw: ps.func('int ps_process_raw(void *ps, const int16_t *data, size_t n_samples, int no_search, int full_utt)'),
    ps_end_utt: ps.func('int ps_end_utt(void *ps)'),
    ps_get_hyp: ps.func('const char *ps_get_hyp(void *ps, _Out_ int32_t *out_best_score)'),
  };
  nativeCache.set(key, native);
  return native;
}

/** Promise wrapper over koffi's `(…args, callback)` async calls, which run on a worker thread. */
function callAsync<T = number>(fn: NativeFn, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err: unknown, res: T) => (err ? reject(err) : resolve(res)));
  });
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
  private native: Native | null = null;
  private decoders: Decoder[] = [];
  private idle: Decoder[] = [];
  private waiters: Array<(d: Decoder) => void> = [];
  /** Resolves close() once every decoder is back in the pool. */
  private drained: (() => void) | null = null;
  /** Native strings referenced by each config: cmd_ln keeps argv pointers as hash keys, so they must outlive it. */
  private argvMemory: Ptr[] = [];
  private closing = false;
  private loading: Promise<void> | null = null;

  constructor(options: SphinxOptions = {}) {
    const modelDir = options.modelDir ?? '/usr/share/pocketsphinx/model/en-us';
    this.opts = {
      hmm: options.hmm ?? path.join(modelDir, 'en-us'),
      lm: options.lm ?? path.join(modelDir, 'en-us.lm.bin'),
      dict: options.dict ?? path.join(modelDir, 'cmudict-en-us.dict'),
      decoders: Math.max(1, Math.floor(options.decoders ?? 1)),
      pocketsphinxLibrary: options.pocketsphinxLibrary ?? 'libpocketsphinx.so.3',
      sphinxbaseLibrary: options.sphinxbaseLibrary ?? 'libsphinxbase.so.3',
    };
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
      throw new EarshotError('engine_unavailable', `pocketsphinx model files missing: ${missing.join(', ')}; ${INSTALL_HINT}`);
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

  private async createDecoder(native: Native): Promise<Decoder> {
    // Batch CMN normalises each utterance over itself. The default (live) carries the mean over from whatever the
    // decoder heard before, so the same utterance would decode differently depending on other sessions' audio.
    // Decoders are shared by all sessions, so no state may carry from one utterance to the next: live CMN and the
    // noise-removal filter both adapt to whatever the decoder heard before, which made the same utterance decode
    // differently depending on other sessions' audio. Batch CMN without noise removal is deterministic, at the
    // same word error rate on the librivox set (28.2 %).
    const args = ['-hmm', this.opts.hmm, '-lm', this.opts.lm, '-dict', this.opts.dict, '-cmn', 'batch', '-remove_noise', 'no'];
    if (!logSilenced) args.push('-logfn', '/dev/null');
    const argv = args.map((s) => {
      const bytes = Buffer.byteLength(s) + 1;
      const mem: Ptr = koffi.alloc('char', bytes);
      koffi.encode(mem, 'char', `${s}\0`, bytes);
      this.argvMemory.push(mem);
      return mem;
    });
    const config: Ptr | null = native.cmd_ln_parse_r(null, native.ps_args(), argv.length, argv, 1);
    if (!config) throw new EarshotError('engine_unavailable', 'pocketsphinx rejected its configuration');
    logSilenced = true;
    // Loading the model takes a few hundred ms: keep it off the event loop too.
    const ps = await callAsync<Ptr | null>(native.ps_init, config);
    if (!ps) {
      native.cmd_ln_free_r(config);
      throw new EarshotError('engine_unavailable', `pocketsphinx failed to load its model (${this.opts.hmm}); ${INSTALL_HINT}`);
    }
    return { ps, config, inFlight: null };
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
      const decoder = await this.acquire();
      try {
        // Checked once a decoder is ours, i.e. right before the utterance starts, so an abort or a sibling's
        // failure stops the rest of the batch without interrupting an utterance already in native code.
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        if (this.closing) throw new EarshotError('engine_unavailable', 'sphinx engine is closing');
        if (failed) throw new EarshotError('stt_failed', 'batch abandoned after an earlier failure');
        return { id: req.id, text: await this.decode(decoder, req.pcm) };
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        this.release(decoder);
      }
    };
    return Promise.all(batch.map(one));
  }

  private async decode(d: Decoder, pcm: Int16Array): Promise<string> {
    const n = this.native!;
    if (pcm.length === 0) return '';
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

  private acquire(): Promise<Decoder> {
    const d = this.idle.pop();
    if (d) return Promise.resolve(d);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(d: Decoder): void {
    const next = this.waiters.shift();
    if (next) return next(d);
    this.idle.push(d);
    if (this.drained && this.idle.length === this.decoders.length) this.drained();
  }

  /** Waits for utterances in progress (freeing a decoder under a worker thread would crash), then frees the pool. */
  async close(): Promise<void> {
    const native = this.native;
    if (!native || this.closing) return;
    this.closing = true;
    if (this.idle.length < this.decoders.length) {
      await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = null;
    }
    this.freeAll(native);
    this.native = null;
  }

  private freeAll(native: Native): void {
    for (const d of this.decoders) {
      native.ps_free(d.ps); // drops the decoder's reference to the config
      native.cmd_ln_free_r(d.config); // and this drops ours
    }
    for (const mem of this.argvMemory) koffi.free(mem);
    this.decoders = [];
    this.idle = [];
    this.argvMemory = [];
  }
}
