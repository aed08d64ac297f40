/**
 * Microphone capture for the speaker page: getUserMedia → AudioWorklet (pcm16-worklet.ts) → 16 kHz PCM16
 * frames. The browser's voice processing is turned off: echo cancellation, noise suppression and automatic gain
 * are tuned for people listening, and they smear exactly the detail a recognizer relies on.
 */

export interface Mic {
  /** The device rate the worklet converts from. */
  sampleRate: number;
  /** The input device's name, when the browser tells. */
  label: string;
  /** Releases the device (the browser's recording indicator goes off). */
  close(): Promise<void>;
}

export interface MicHandlers {
  /** 50 ms of 16 kHz PCM16. */
  onFrame: (pcm: Int16Array<ArrayBuffer>) => void;
  /** The frame's peak, 0–1. */
  onLevel?: (peak: number) => void;
}

export async function openMic({ onFrame, onLevel }: MicHandlers): Promise<Mic> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  try {
    // The worklet's bundle, served beside this page's (the edge bundles pcm16-worklet.ts under this name).
    await context.audioWorklet.addModule(new URL('pcm16-worklet.js', import.meta.url));
    const source = context.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(context, 'pcm16-16k', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1 });
    node.port.onmessage = (ev: MessageEvent<{ pcm: ArrayBuffer; peak: number }>) => {
      onFrame(new Int16Array(ev.data.pcm));
      onLevel?.(ev.data.peak);
    };
    source.connect(node);
    await context.resume();
    return {
      sampleRate: context.sampleRate,
      label: stream.getAudioTracks()[0]?.label ?? '',
      async close() {
        node.port.onmessage = null;
        source.disconnect();
        for (const track of stream.getTracks()) track.stop();
        await context.close();
      },
    };
  } catch (err) {
    for (const track of stream.getTracks()) track.stop();
    await context.close();
    throw err;
  }
}
