/**
 * WebRTC's voice activity detector (libfvad compiled to WASM), so the same detector runs on Node, in browsers and
 * on Cloudflare Workers. Only this module knows about the WASM module's memory layout.
 */
// @ts-expect-error the package ships no type declarations
import createFvadModule from '@echogarden/fvad-wasm';

export type VadAggressiveness = 0 | 1 | 2 | 3;
export const VAD_SAMPLE_RATES = [8000, 16000, 32000, 48000] as const;
export const VAD_FRAME_MS = [10, 20, 30] as const;

export interface VadOptions {
  aggressiveness: VadAggressiveness;
  sampleRate: number;
  frameMs: 10 | 20 | 30;
}

export interface FvadModule {
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, ptr: number, length: number): number;
  _fvad_reset(inst: number): void;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAP16: Int16Array;
}

let modulePromise: Promise<FvadModule> | undefined;

/**
 * Loads the WASM once per process. Runtimes that cannot read files (Workers) pass a precompiled module.
 */
export function loadFvad(wasmModule?: WebAssembly.Module): Promise<FvadModule> {
  modulePromise ??= (createFvadModule as (arg: object) => Promise<FvadModule>)(
    wasmModule
      ? {
          instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) {
            void WebAssembly.instantiate(wasmModule, imports).then(receive);
            return {};
          },
        }
      : {},
  );
  return modulePromise;
}

/** One detector instance: classifies fixed-size frames as speech or not. */
export class WebRtcVad {
  readonly frameSamples: number;
  #module: FvadModule;
  #instance: number;
  #buffer: number;
  readonly #aggressiveness: number;
  readonly #sampleRate: number;

  private constructor(module: FvadModule, aggressiveness: VadAggressiveness, sampleRate: number, frameMs: number) {
    this.#module = module;
    this.frameSamples = (sampleRate * frameMs) / 1000;
    this.#aggressiveness = aggressiveness;
    this.#sampleRate = sampleRate;
    this.#instance = module._fvad_new();
    if (!this.#instance) throw new Error('fvad_new failed: out of memory');
    if (module._fvad_set_mode(this.#instance, aggressiveness) !== 0)
      throw new Error(`invalid VAD aggressiveness ${aggressiveness}`);
    if (module._fvad_set_sample_rate(this.#instance, sampleRate) !== 0)
      throw new Error(`VAD sample rate must be one of ${VAD_SAMPLE_RATES.join(', ')}`);
    this.#buffer = module._malloc(this.frameSamples * 2);
  }

  static async create(options: VadOptions & { wasmModule?: WebAssembly.Module }): Promise<WebRtcVad> {
    return WebRtcVad.fromModule(await loadFvad(options.wasmModule), options);
  }

  /** Synchronous creation once the module is loaded: sessions must not await between frames. */
  static fromModule(module: FvadModule, options: VadOptions): WebRtcVad {
    return new WebRtcVad(module, options.aggressiveness, options.sampleRate, options.frameMs);
  }

  /** True if the frame (exactly frameSamples long) contains speech. */
  isSpeech(frame: Int16Array): boolean {
    if (frame.length !== this.frameSamples)
      throw new Error(`VAD frame must be ${this.frameSamples} samples, got ${frame.length}`);
    // HEAP16 is re-read on every call: memory growth replaces the underlying buffer.
    this.#module.HEAP16.set(frame, this.#buffer >> 1);
    const result = this.#module._fvad_process(this.#instance, this.#buffer, frame.length);
    if (result < 0) throw new Error('fvad_process rejected the frame');
    return result === 1;
  }

  /** Forgets what the detector adapted to, keeping its mode and sample rate. */
  reset(): void {
    this.#module._fvad_reset(this.#instance);
    this.#module._fvad_set_mode(this.#instance, this.#aggressiveness);
    this.#module._fvad_set_sample_rate(this.#instance, this.#sampleRate);
  }

  close(): void {
    if (!this.#instance) return;
    this.#module._free(this.#buffer);
    this.#module._fvad_free(this.#instance);
    this.#instance = 0;
  }
}
