/**
 * Scale-out with real processes on a real Redis: 2 edges, 2 STT runners and 1 MT runner; 8 concurrent sessions
 * spread over both edges each get all their finals, in order, exactly once, with their translations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitForRunners, type ProcessHandle } from '../support/cluster.ts';
import { TestRedis } from '../support/redis-server.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { expectDeliveryRules, runSession, transcript, withPauses } from '../support/sessions.ts';
import { corpusWer } from '../support/wer.ts';

let redis: TestRedis;
let cluster: Cluster;
let edges: ProcessHandle[];

beforeAll(async () => {
  redis = await TestRedis.start();
  // Catch-up off: same-audio sessions are compared word for word, and catch-up segments by load.
  cluster = new Cluster(redis.url, { EARSHOT_SPHINX_DECODERS: '1', EARSHOT_CATCH_UP: 'off' });
  edges = await Promise.all([cluster.edge(), cluster.edge()]);
  await Promise.all([cluster.runner('stt'), cluster.runner('stt'), cluster.runner('mt')]);
  await waitForRunners(edges[0]!.url, { stt: 2, mt: 1 });
}, 90_000);

afterAll(async () => {
  await cluster?.stopAll();
  await redis?.stop();
});

describe('distributed: 2 edges, 2 STT runners, 1 MT runner', { timeout: 120_000 }, () => {
  it('8 concurrent sessions over both edges each get every final once, in order, translated', async () => {
    const recordings = librivoxRecordings();
    // Each session speaks two recordings; sessions differ in which.
    const audio = Array.from({ length: 8 }, (_, i) =>
      withPauses([recordings[i % 5]!.pcm, recordings[(i + 2) % 5]!.pcm]),
    );
    const results = await Promise.all(
      audio.map((pcm, i) => runSession(`${edges[i % 2]!.url.replace('http', 'ws')}/v1/realtime`, pcm, 3)),
    );

    for (const [i, events] of results.entries()) {
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(events.at(-1)!.type).toBe('done');
      const finals = expectDeliveryRules(events);
      expect(finals.length).toBeGreaterThanOrEqual(2);
      const reference = `${recordings[i % 5]!.reference} ${recordings[(i + 2) % 5]!.reference}`;
      expect(corpusWer([{ reference, hypothesis: transcript(events) }])).toBeLessThan(0.45);
    }
    // Sessions that spoke the same audio, on different edges and runners, got word for word the same captions: nothing
    // lost, and no decoder's earlier work leaked into another session's result.
    for (let i = 0; i < 3; i++) expect(transcript(results[i + 5]!)).toBe(transcript(results[i]!));

    const health = (await (await fetch(`${edges[1]!.url}/health/full`)).json()) as { components: Record<string, any> };
    expect(health.components.queue.driver).toBe('redis');
    expect(health.components.runners.stt).toHaveLength(2);
    expect(health.components.runners.mt).toHaveLength(1);
    const processed = health.components.runners.stt.map((r: { processed: number }) => r.processed);
    // Both STT runners took work.
    expect(processed.every((n: number) => n > 0)).toBe(true);
    const metrics = await (await fetch(`${edges[0]!.url}/metrics`)).text();
    expect(metrics).toMatch(/earshot_queue_depth\{queue="stt"\} \d+/);
    expect(metrics).toMatch(/redis_stream_length \d+/);
  });
});
