/**
 * The batch API on a Redis deployment: two embedded servers share a real redis-server (BullMQ `batch` and STT
 * queues, result streams) and a real S3-protocol server (s3rver) as the blob store. A job accepted by one edge is
 * readable from the other, its audio and result live in the bucket, and synchronous requests run through the
 * shared STT queue. A realtime session's transcript is exported by the edge that did not serve it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../shared/audio/wav.ts';
import { S3BlobStore } from '../../edge/batch/s3-blob-store.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { TestRedis } from '../support/redis-server.ts';
import { S3_CREDENTIALS, TestS3 } from '../support/s3-server.ts';
import { startTestServer } from '../support/server.ts';
import { runSession, withPauses } from '../support/sessions.ts';

const recordings = librivoxRecordings();
const wav = encodeWav(withPauses(recordings.slice(0, 3).map((r) => r.pcm)), 16000);

let redis: TestRedis;
let s3: TestS3;
let edges: Awaited<ReturnType<typeof startTestServer>>[] = [];

beforeAll(async () => {
  [redis, s3] = await Promise.all([TestRedis.start(), TestS3.start()]);
  // The S3 client takes credentials from the AWS chain, as in production.
  process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
  const env = {
    REDIS_URL: redis.url,
    EARSHOT_REDIS_PREFIX: `b-${randomUUID().slice(0, 8)}`,
    EARSHOT_S3_BUCKET: s3.bucket,
    EARSHOT_S3_ENDPOINT: s3.endpoint,
    EARSHOT_S3_FORCE_PATH_STYLE: 'true',
  };
  edges = await Promise.all([startTestServer(env), startTestServer(env)]);
});
afterAll(async () => {
  await Promise.all(edges.map((e) => e.close(0)));
  await redis?.stop();
  await s3?.stop();
});

function upload(base: string, query = ''): Promise<Response> {
  const form = new FormData();
  form.set('file', new Blob([wav as Uint8Array<ArrayBuffer>]), 'three.wav');
  form.set('model', 'whisper-1');
  form.set('response_format', 'verbose_json');
  return fetch(`${base}/v1/audio/transcriptions${query}`, { method: 'POST', body: form });
}

describe('batch API on Redis and S3', { timeout: 120_000 }, () => {
  it('transcribes synchronously through the shared STT queue', async () => {
    const res = await upload(edges[0]!.server.url);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { text: string; segments: unknown[] };
    expect(body.segments.length).toBeGreaterThanOrEqual(3);
    expect(body.text).toMatch(/john/);
  });

  it('runs an async job as a BullMQ job: accepted on one edge, followed on the other, stored in the bucket', async () => {
    const [a, b] = edges.map((e) => e.server.url) as [string, string];
    const accepted = (await (await upload(a, '?async=true')).json()) as { id: string; status: string };
    expect(accepted.status).toBe('queued');
    const store = new S3BlobStore({
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
    });
    let job: { status: string; progress: { segments_done: number; segments_total: number }; result?: { text: string } };
    const deadline = Date.now() + 60_000;
    for (;;) {
      job = (await (await fetch(`${b}/v1/jobs/${accepted.id}`)).json()) as typeof job;
      if (job.status === 'completed' || job.status === 'failed' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job.status).toBe('completed');
    expect(job.progress.segments_done).toBe(job.progress.segments_total);
    expect(job.result?.text).toMatch(/john/);
    const stored = await store.get(`results/${accepted.id}.json`);
    expect(JSON.parse(new TextDecoder().decode(stored))).toMatchObject({ task: 'transcribe', text: job.result!.text });
    // The upload is only kept until its job has run.
    expect(await store.get(`uploads/${accepted.id}.wav`)).toBeUndefined();
    store.close();
  });

  it("exports a realtime session's transcript from another edge (the result stream is the source)", async () => {
    const events = await runSession(edges[0]!.wsUrl, recordings[0]!.pcm, 0);
    const ready = events.find((e) => e.type === 'ready')!;
    const finals = events.filter((e) => e.type === 'final');
    const exported = await (
      await fetch(
        `${edges[1]!.server.url}/v1/sessions/${ready.type === 'ready' ? ready.session : ''}/transcript?format=txt`,
      )
    ).text();
    expect(exported).toBe(finals.map((f) => `${f.type === 'final' ? f.text : ''}\n`).join(''));
  });
});
