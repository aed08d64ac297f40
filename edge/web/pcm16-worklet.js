// @ts-check
/**
 * AudioWorklet processor: the microphone at the device's rate in, 16 kHz PCM16 frames out (posted to the page,
 * which sends them over the WebSocket), with each frame's peak level for the meter. Running on the audio thread
 * keeps capture glitch-free while the page is busy rendering captions.
 */
import { Resampler, toPcm16 } from './resampler.js';

const TARGET_RATE = 16000;
/** 50 ms per WebSocket frame: low latency without a message per 128-sample render quantum. */
const FRAME_SAMPLES = 800;

/** @type {any} */
const scope = globalThis;

class Pcm16Processor extends scope.AudioWorkletProcessor {
  constructor() {
    super();
    /** `sampleRate` is a global of the worklet scope: the AudioContext's rate. */
    this.resampler = new Resampler(scope.sampleRate, TARGET_RATE);
    this.pending = new Float32Array(FRAME_SAMPLES);
    this.filled = 0;
    this.peak = 0;
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    // Mono: the first channel. Speech recognition gains nothing from stereo, and mics are mono anyway.
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    const out = this.resampler.push(channel);
    for (let i = 0; i < out.length; i++) {
      const s = out[i] ?? 0;
      this.pending[this.filled++] = s;
      this.peak = Math.max(this.peak, Math.abs(s));
      if (this.filled === FRAME_SAMPLES) {
        const pcm = toPcm16(this.pending);
        this.port.postMessage({ pcm: pcm.buffer, peak: this.peak }, [pcm.buffer]);
        this.filled = 0;
        this.peak = 0;
      }
    }
    return true;
  }
}

scope.registerProcessor('pcm16-16k', Pcm16Processor);
