/** Debian's pocketsphinx-testdata librivox recordings with their reference transcripts. */
import { readFileSync } from 'node:fs';
import { decodeWav } from '../../shared/audio/wav.ts';
import { floatToPcm16 } from '../../shared/audio/pcm.ts';

export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';

export interface Recording {
  id: string;
  path: string;
  reference: string;
  pcm: Int16Array;
}

export function librivoxRecordings(): Recording[] {
  const lines = readFileSync(`${LIBRIVOX_DIR}/transcription`, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const match = /^<s>\s*(.*?)\s*<\/s>\s*\((\S+)\)$/.exec(line.trim());
    if (!match) throw new Error(`unexpected transcription line: ${line}`);
    const [, reference, id] = match as unknown as [string, string, string];
    const path = `${LIBRIVOX_DIR}/${id}.wav`;
    const wav = decodeWav(readFileSync(path));
    if (wav.sampleRate !== 16000) throw new Error(`${id}: expected 16 kHz`);
    return { id, path, reference, pcm: floatToPcm16(wav.samples[0]!) };
  });
}

/** Sends PCM in 100 ms frames, `speed` times faster than real time (0 = no pacing). */
export async function streamPcm(
  send: (frame: Uint8Array) => void,
  pcm: Int16Array,
  speed = 1,
  sampleRate = 16000,
): Promise<void> {
  const frame = sampleRate / 10;
  const started = performance.now();
  for (let i = 0; i < pcm.length; i += frame) {
    const chunk = pcm.slice(i, i + frame);
    send(new Uint8Array(chunk.buffer));
    if (speed > 0) {
      const due = ((i + frame) / sampleRate / speed) * 1000;
      const wait = due - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}
