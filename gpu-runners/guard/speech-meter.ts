/**
 * Voiced audio in a job, by the same WebRTC VAD the edge segments with. A fresh judgement on the runner, so jobs
 * from any source (live sessions, the batch API, other edges) are gated alike.
 */
import { loadFvad, WebRtcVad, type VadAggressiveness } from '../../shared/vad/webrtc-vad.ts';

const RATE = 16000;
const FRAME_MS = 30;

/** A synchronous meter (voiced ms of 16 kHz PCM16) once the VAD's WASM is loaded. */
export async function speechMeter(aggressiveness: VadAggressiveness): Promise<(pcm: Int16Array) => number> {
  const vad = WebRtcVad.fromModule(await loadFvad(), { aggressiveness, sampleRate: RATE, frameMs: FRAME_MS });
  return (pcm) => {
    vad.reset(); // judged alone: what the last job adapted to must not colour this one
    let voiced = 0;
    for (let i = 0; i + vad.frameSamples <= pcm.length; i += vad.frameSamples)
      if (vad.isSpeech(pcm.subarray(i, i + vad.frameSamples))) voiced += 1;
    return voiced * FRAME_MS;
  };
}
