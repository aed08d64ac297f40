/**
 * The decode pool's thread (decode-pool.ts): takes WAV files, answers 16 kHz mono PCM16. Errors go back as their
 * name and message; the thread itself stays up for the next file.
 */
import { constants, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { wavToPipelinePcm } from './wav-to-pipeline.ts';

// The lowest CPU priority, for this thread only (Linux keeps nice values per thread): on a busy machine live
// sessions' VAD and decoding run first, and a file waits.
try {
  setPriority(constants.priority.PRIORITY_LOW);
} catch {
  // not permitted here: decode at normal priority
}

export interface DecodeRequest {
  id: number;
  wav: Uint8Array;
}

export type DecodeReply = { id: number; pcm: Int16Array } | { id: number; error: { name: string; message: string } };

parentPort?.on('message', ({ id, wav }: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    const pcm = wavToPipelinePcm(wav);
    parentPort!.postMessage({ id, pcm } satisfies DecodeReply, [pcm.buffer as ArrayBuffer]);
    return;
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    reply = { id, error: { name: error.name, message: error.message } };
  }
  parentPort!.postMessage(reply);
});
