/** How jobs travel through Redis: JSON with the audio as base64 PCM16 (little-endian). */
import type { JobCodec } from './redis/bull-queue.ts';
import type { MtJob, SttJob, TtsJob } from './jobs.ts';

function pcmToBase64(pcm: Int16Array): string {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
}

function base64ToPcm(data: string): Int16Array {
  const bytes = Buffer.from(data, 'base64');
  // Copy into a fresh, aligned buffer: Buffer pools may hand out odd offsets.
  const pcm = new Int16Array(bytes.byteLength / 2);
  new Uint8Array(pcm.buffer).set(bytes);
  return pcm;
}

export const sttJobCodec: JobCodec<SttJob> = {
  encode: (job) => ({ ...job, pcm: pcmToBase64(job.pcm) }),
  decode: (data) => ({ ...(data as unknown as SttJob), pcm: base64ToPcm(data.pcm as string) }),
};

export const ttsJobCodec: JobCodec<TtsJob> = {
  encode: (job) => ({ ...job }),
  decode: (data) => data as unknown as TtsJob,
};

export const mtJobCodec: JobCodec<MtJob> = {
  encode: (job) => ({ ...job }),
  decode: (data) => data as unknown as MtJob,
};
