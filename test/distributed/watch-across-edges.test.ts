/**
 * Viewers on another edge: real processes on a real Redis (2 edges, 1 STT and 1 MT runner). The speaker streams
 * to edge A; a live viewer and a late viewer on edge B follow the session through the shared Redis result log and
 * get exactly the speaker's captions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WatchEvent, type ServerEvent } from '../../shared/protocol.ts';
import { Cluster, waitForRunners, type ProcessHandle } from '../support/cluster.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { TestRedis } from '../support/redis-server.ts';
import { expectDeliveryRules, START, withPauses } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';

let redis: TestRedis;
let cluster: Cluster;
let edges: ProcessHandle[];

beforeAll(async () => {
  redis = await TestRedis.start();
  cluster = new Cluster(redis.url, { EARSHOT_SPHINX_DECODERS: '1' });
  edges = await Promise.all([cluster.edge(), cluster.edge()]);
  await Promise.all([cluster.runner('stt'), cluster.runner('mt')]);
  await waitForRunners(edges[0]!.url, { stt: 1, mt: 1 });
}, 90_000);
afterAll(async () => {
  await cluster?.stopAll();
  await redis?.stop();
});

function watch(edge: ProcessHandle, session: string) {
  const ws = new WebSocket(`${edge.url.replace('http', 'ws')}/v1/watch/${session}`);
  const events: WatchEvent[] = [];
  ws.on('message', (d) => events.push(WatchEvent.parse(JSON.parse(String(d)))));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return { events, closed };
}

const captions = (events: (ServerEvent | WatchEvent)[]) =>
  events.filter((e) => e.type === 'final' || e.type === 'translation' || e.type === 'done');

describe('distributed: watching a session from another edge', { timeout: 120_000 }, () => {
  it('live and late viewers on edge B get the captions of a speaker on edge A', async () => {
    const [a, b] = edges as [ProcessHandle, ProcessHandle];
    const recordings = librivoxRecordings();
    const speaker = await TestSocket.open(`${a.url.replace('http', 'ws')}/v1/realtime`);
    speaker.sendJson(START);
    const ready = await speaker.waitFor('ready');
    const live = watch(b, ready.session);
    await streamPcm((f) => speaker.sendRaw(f), withPauses([recordings[1]!.pcm, recordings[4]!.pcm]), 3);
    speaker.sendJson({ type: 'stop' });
    await speaker.waitFor('done', 0, 90_000);
    expectDeliveryRules(speaker.events);

    expect(await live.closed).toBe(1000);
    expect(live.events[0]).toMatchObject({ type: 'ready', session: ready.session, targets: ['es'], language: 'en' });
    expect(captions(live.events)).toEqual(captions(speaker.events));

    const late = watch(b, ready.session);
    expect(await late.closed).toBe(1000);
    expect(captions(late.events)).toEqual(captions(speaker.events));
    expect(captions(late.events).filter((e) => e.type === 'final').length).toBeGreaterThanOrEqual(2);
  });
});
