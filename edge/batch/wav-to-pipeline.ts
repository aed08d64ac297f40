/**
 * A WAV file to what the pipeline takes, 16 kHz mono PCM16, a second of audio at a time: the output is allocated
 * once at its final length and the float copies stay a second long, so memory is the file plus its result. This
 * is CPU work proportional to the audio (an hour at 8 kHz is many seconds of resampling on a busy core): it runs
 * on a worker thread (decode-pool.ts), never on the event loop that serves live sessions.
 */
import { downmix, floatToPcm16 } from '../../shared/audio/pcm.ts';
import { StreamingResampler } from '../../shared/audio/resample.ts';
import { decodeWavFrames, readWavHeader } from '../../shared/audio/wav.ts';

export const PIPELINE_RATE = 16000;

export function wavToPipelinePcm(bytes: Uint8Array): Int16Array {
  const header = readWavHeader(bytes);
  const { sampleRate, frames } = header;
  const resampler = new StreamingResampler(sampleRate, PIPELINE_RATE);
  // The resampler's output length: ceil(input × 16000 / rate), the input's length when no resampling is needed.
  const out = new Int16Array(Math.ceil((frames * PIPELINE_RATE) / sampleRate));
  let written = 0;
  const put = (samples: Float32Array) => {
    out.set(floatToPcm16(samples), written);
    written += samples.length;
  };
  for (let first = 0; first < frames; first += sampleRate) {
    const mono = downmix(decodeWavFrames(bytes, header, first, sampleRate));
    put(sampleRate === PIPELINE_RATE ? mono : resampler.push(mono));
  }
  if (sampleRate !== PIPELINE_RATE) put(resampler.flush());
  return out;
}
