// @ts-check
/**
 * Microphone capture for the speaker page: getUserMedia → AudioWorklet (pcm16-worklet.js) → 16 kHz PCM16
 * frames. The browser's voice processing is turned off: echo cancellation, noise suppression and automatic gain
 * are tuned for people listening, and they smear exactly the detail a recognizer relies on.
 */

/**
 * @typedef {object} Mic
 * @property {number} sampleRate the device rate the worklet converts from
 * @property {string} label the input device's name, when the browser tells
 * @property {() => Promise<void>} close releases the device (the browser's recording indicator goes off)
 */

/**
 * @param {object} handlers
 * @param {(pcm: Int16Array<ArrayBuffer>) => void} handlers.onFrame 50 ms of 16 kHz PCM16
 * @param {(peak: number) => void} [handlers.onLevel] the frame's peak, 0–1
 * @returns {Promise<Mic>}
 */
export async function openMic({ onFrame, onLevel }) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  try {
    await context.audioWorklet.addModule(new URL('./pcm16-worklet.js', import.meta.url));
    const source = context.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(context, 'pcm16-16k', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1 });
    node.port.onmessage = (/** @type {MessageEvent<{pcm: ArrayBuffer, peak: number}>} */ ev) => {
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
