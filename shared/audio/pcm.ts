/**
 * Conversions between float samples in [-1, 1], PCM16 samples and PCM16LE bytes (the protocol's wire format).
 * No runtime-specific imports: this runs in Node, browsers and Workers.
 */

/** True on little-endian hosts (all mainstream ones); the byte helpers take a copy-free path there. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Float samples to PCM16, clamping to [-1, 1]; NaN becomes 0. Scaling by 32768 (not 32767) makes
 * `floatToPcm16(pcm16ToFloat(x))` exact for every PCM16 value.
 */
export function floatToPcm16(input: Float32Array): Int16Array {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const v = Math.round(input[i]! * 32768);
    // NaN compares false both ways and lands on 0 via the Int16Array store.
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** PCM16 samples to floats in [-1, 1). */
export function pcm16ToFloat(input: Int16Array): Float32Array {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = input[i]! / 32768;
  return out;
}

/**
 * Averages channels into one. Averaging (not summing) cannot clip; a mono input is returned as a copy so callers
 * may mutate the result freely. Throws if the channels differ in length.
 */
export function downmix(channels: Float32Array[]): Float32Array {
  const first = channels[0];
  if (!first) throw new RangeError('downmix needs at least one channel');
  if (channels.length === 1) return first.slice();
  const n = first.length;
  for (const ch of channels) {
    if (ch.length !== n) throw new RangeError(`channels differ in length (${ch.length} vs ${n} samples)`);
  }
  const out = new Float32Array(n);
  const scale = 1 / channels.length;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i]!;
    out[i] = sum * scale;
  }
  return out;
}

/**
 * PCM16LE bytes (e.g. a binary WebSocket frame) to samples. On little-endian hosts with an even byteOffset the
 * result is a view sharing memory with `bytes`; otherwise the samples are copied (an Int16Array cannot start at
 * an odd offset). Throws on an odd byte count.
 */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`PCM16 needs an even number of bytes, got ${bytes.byteLength}`);
  const n = bytes.byteLength / 2;
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/** Samples to PCM16LE bytes. On little-endian hosts the result is a view sharing memory with `pcm`. */
export function pcm16ToBytes(pcm: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const out = new Uint8Array(pcm.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < pcm.length; i++) view.setInt16(i * 2, pcm[i]!, true);
  return out;
}
