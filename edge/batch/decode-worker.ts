/**
 * The decode pool's thread (decode-pool.ts): takes WAV files, answers 16 kHz mono PCM16. Errors go back as their
 * name and message; the thread itself stays up for the next file.
 */
import { parentPort } from 'node:worker_threads';
import { wavToPipelinePcm } from './wav-to-pipeline.ts';

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
