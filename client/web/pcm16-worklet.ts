/**
 * AudioWorklet processor: the microphone at the device's rate in, 16 kHz PCM16 frames out (posted to the page,
 * which sends them over the WebSocket), with each frame's peak level for the meter. Running on the audio thread
 * keeps capture glitch-free while the page is busy rendering captions. The conversion is the same band-limited
 * resampler the CLI uses for files (shared/audio/resample.ts), streaming: its output is the same however the
 * 128-sample render quanta cut the input.
 */
import { floatToPcm16 } from '../../shared/audio/pcm.ts';
import { StreamingResampler } from '../../shared/audio/resample.ts';

const TARGET_RATE = 16000;
/** 50 ms per WebSocket frame: low latency without a message per 128-sample render quantum. */
const FRAME_SAMPLES = 800;

/** The AudioWorkletGlobalScope's names (DOM's lib types describe the page, not the worklet). */
interface WorkletScope {
  sampleRate: number;
  AudioWorkletProcessor: new () => { readonly port: MessagePort };
  registerProcessor(name: string, processor: new () => unknown): void;
}
const scope = globalThis as unknown as WorkletScope;

class Pcm16Processor extends scope.AudioWorkletProcessor {
  /** `sampleRate` is a global of the worklet scope: the AudioContext's rate. */
  readonly resampler = new StreamingResampler(Math.round(scope.sampleRate), TARGET_RATE);
  readonly pending = new Float32Array(FRAME_SAMPLES);
  filled = 0;
  peak = 0;

  process(inputs: Float32Array[][]): boolean {
    // Mono: the first channel. Speech recognition gains nothing from stereo, and mics are mono anyway.
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    const out = this.resampler.push(channel);
    for (let i = 0; i < out.length; i++) {
      const s = out[i]!;
      this.pending[this.filled++] = s;
      this.peak = Math.max(this.peak, Math.abs(s));
      if (this.filled === FRAME_SAMPLES) {
        const pcm = floatToPcm16(this.pending);
        this.port.postMessage({ pcm: pcm.buffer, peak: this.peak }, [pcm.buffer]);
        this.filled = 0;
        this.peak = 0;
      }
    }
    return true;
  }
}

scope.registerProcessor('pcm16-16k', Pcm16Processor);
