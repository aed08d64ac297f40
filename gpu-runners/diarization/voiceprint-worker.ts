/** The MFCC embedder's thread (embedder.ts): voiceprints of a batch of utterances. */
import { parentPort } from 'node:worker_threads';
import { voiceprint } from './voiceprint.ts';

export interface VoiceprintRequest {
  id: number;
  pcm: Int16Array[];
}

export type VoiceprintReply = { id: number; voices: Float32Array[] } | { id: number; error: string };

parentPort?.on('message', ({ id, pcm }: VoiceprintRequest) => {
  try {
    const voices = pcm.map((p) => voiceprint(p));
    parentPort!.postMessage({ id, voices } satisfies VoiceprintReply);
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies VoiceprintReply);
  }
});
