/**
 * The streaming lane across processes (a real Redis, an edge, two STT runners): a session bound to a runner that is
 * killed (-9) or drained (SIGTERM) mid-utterance moves to another runner, which rebuilds the utterance from its start
 * and takes the finals left in the gone runner's queue. The session's finals equal the same audio decoded per
 * utterance: none lost, none twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { Cluster, waitForRunners, type ProcessHandle } from '../support/cluster.ts';
import { TestRedis } from '../support/redis-server.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { TestSocket } from '../support/socket.ts';
import { withPauses } from '../support/sessions.ts';
import { expectedStreaming, waitForStreams } from '../support/streaming-lane.ts';

const LANE = {
  EARSHOT_STT_LANE: 'streaming',
  EARSHOT_MT: 'none',
  EARSHOT_CATCH_UP: 'off',
  EARSHOT_PARTIAL_INTERVAL_MS: '350',
};
const recordings = librivoxRecordings();
const audio = withPauses([recordings[0]!.pcm, recordings[3]!.pcm, recordings[2]!.pcm]);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const wsOf = (url: string) => `${url.replace('http', 'ws')}/v1/realtime`;
const counter = async (url: string, name: string, label: string) =>
  Number(new RegExp(`^${name}\\{${label}\\} (\\d+)`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);

/** Streams the audio; `fault` runs once the session has shown its first partial (the runner holds its state). */
async function session(edgeUrl: string, fault: () => Promise<void>): Promise<ServerEvent[]> {
  const socket = await TestSocket.open(wsOf(edgeUrl));
  socket.sendJson({ type: 'start', language: 'en', targets: [], sample_rate: 16000, encoding: 'pcm16' });
  await socket.waitFor('ready');
  let faulted: Promise<void> | undefined;
  await streamPcm(
    (frame) => {
      socket.sendRaw(frame);
      if (!faulted && socket.events.some((e) => e.type === 'partial')) faulted = fault();
    },
    audio,
    1,
  );
  await faulted;
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 120_000);
  socket.close();
  expect(faulted, 'the fault ran').toBeDefined();
  return socket.events;
}

describe('streaming lane failover', { timeout: 300_000 }, () => {
  const expected = expectedStreaming(audio, LANE);

  for (const how of ['killed', 'drained'] as const) {
    it(`the session's runner is ${how} mid-utterance: another rebuilds it; finals equal per-utterance decodes, none twice`, async () => {
      const redis = await TestRedis.start();
      const cluster = new Cluster(redis.url, { EARSHOT_SPHINX_DECODERS: '1', EARSHOT_JOB_LOCK_MS: '1500', ...LANE });
      cleanups.push(async () => {
        await cluster.stopAll();
        await redis.stop();
      });
      const edge = await cluster.edge();
      const runners = [await cluster.runner('stt'), await cluster.runner('stt')];
      await waitForRunners(edge.url, { stt: 2, mt: 0 });
      await waitForStreams(edge.url, 2);
      const events = await session(edge.url, async () => {
        // The runner holding the session (the only one): the one that has fed partials.
        const fed = await Promise.all(
          runners.map((r) => counter(r.url, 'earshot_stt_stream_jobs_total', 'outcome="fed"')),
        );
        const doomed: ProcessHandle = runners[fed.findIndex((n) => n > 0)]!;
        if (how === 'killed') await doomed.kill9();
        else await doomed.stop('SIGTERM');
      });

      const finals = events.flatMap((e) => (e.type === 'final' ? [{ seq: e.seq, text: e.text }] : []));
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(finals).toEqual((await expected).map((u) => ({ seq: u.seq, text: u.final })));
      expect(await counter(edge.url, 'earshot_stt_lane_bindings_total', 'event="rebound"')).toBeGreaterThanOrEqual(1);
    });
  }
});
