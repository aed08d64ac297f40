/**
 * Overload and shutdown: past the STT backlog bound partials are shed first and new sessions refused, while
 * finals keep flowing; SIGTERM drains an edge (open sessions finish, new ones are refused) and a runner (its
 * batch finishes, the rest is left to others).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, waitForRunners } from '../support/cluster.ts';
import { TestRedis } from '../support/redis-server.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { TestSocket } from '../support/socket.ts';
import { expectDeliveryRules, runSession, START, withPauses } from '../support/sessions.ts';
import { startTestServer } from '../support/server.ts';

const recordings = librivoxRecordings();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
/** Opens a session and returns how it was refused: the error event and the close code and reason. */
async function refusalOf(wsUrl: string): Promise<{ code?: string; close?: { code: number; reason: string } }> {
  const socket = await TestSocket.open(wsUrl);
  await socket.waitFor('error', 0, 5000).catch(() => undefined);
  for (let i = 0; i < 100 && !socket.closed; i++) await new Promise((r) => setTimeout(r, 20));
  const error = socket.events.find((e) => e.type === 'error');
  socket.close();
  return { code: error?.type === 'error' ? error.code : undefined, close: socket.closed };
}
const wsOf = (url: string) => `${url.replace('http', 'ws')}/v1/realtime`;
const health = async (url: string) =>
  ((await (await fetch(`${url}/health/full`)).json()) as { components: Record<string, any> }).components;

describe('backpressure and graceful shutdown', { timeout: 60_000 }, () => {
  it('sheds partials, then refuses new sessions, while every final is still delivered', async () => {
    const server = await startTestServer({
      EARSHOT_MAX_QUEUE_DEPTH: '3',
      EARSHOT_SPHINX_DECODERS: '1',
      EARSHOT_STT_BATCH: '1',
      EARSHOT_PARTIAL_INTERVAL_MS: '300',
    });
    cleanups.push(() => server.close(0));
    const audio = withPauses([recordings[0]!.pcm, recordings[3]!.pcm, recordings[1]!.pcm], 0.9);
    const sessions = Array.from({ length: 6 }, () => runSession(server.wsUrl, audio, 4));

    let refused: Awaited<ReturnType<typeof refusalOf>> | undefined;
    for (let i = 0; i < 600 && !refused; i++) {
      if ((await health(server.server.url)).queue.stt.waiting > 3) {
        const attempt = await refusalOf(server.wsUrl);
        if (attempt.code) refused = attempt;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(refused).toEqual({ code: 'overloaded', close: { code: 1013, reason: 'overloaded' } });
    const plain = await fetch(`${server.server.url}/v1/realtime`);
    expect([426, 503]).toContain(plain.status);

    for (const events of await Promise.all(sessions)) {
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(expectDeliveryRules(events)).toHaveLength(3);
    }
    const metrics = await (await fetch(`${server.server.url}/metrics`)).text();
    expect(Number(/earshot_partials_shed_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it('SIGTERM on an edge: new sessions refused, the open session finishes, the process exits 0', async () => {
    const redis = await TestRedis.start();
    const cluster = new Cluster(redis.url, { EARSHOT_DRAIN_MS: '30000' });
    cleanups.push(async () => {
      await cluster.stopAll();
      await redis.stop();
    });
    const edge = await cluster.edge();
    await Promise.all([cluster.runner('stt'), cluster.runner('mt')]);
    await waitForRunners(edge.url, { stt: 1, mt: 1 });

    const socket = await TestSocket.open(wsOf(edge.url));
    socket.sendJson(START);
    await socket.waitFor('ready');
    const audio = withPauses([recordings[1]!.pcm, recordings[4]!.pcm]);
    const streaming = streamPcm((f) => socket.sendRaw(f), audio, 2);
    await new Promise((r) => setTimeout(r, 500));
    const exited = edge.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(await refusalOf(wsOf(edge.url))).toEqual({
      code: 'shutting_down',
      close: { code: 1012, reason: 'shutting_down' },
    });
    const plain = await fetch(`${edge.url}/v1/realtime`);
    expect(plain.status).toBe(503);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('shutting_down');

    await streaming;
    socket.sendJson({ type: 'stop' });
    await socket.waitFor('done', 0, 60_000);
    expect(expectDeliveryRules(socket.events)).toHaveLength(2);
    expect(await exited).toBe(0);
  });

  it('SIGTERM on a runner: it finishes its batch and exits 0; the rest is processed by another, once', async () => {
    const redis = await TestRedis.start();
    const cluster = new Cluster(redis.url, { EARSHOT_SPHINX_DECODERS: '1', EARSHOT_JOB_LOCK_MS: '60000' });
    cleanups.push(async () => {
      await cluster.stopAll();
      await redis.stop();
    });
    const edge = await cluster.edge();
    const first = await cluster.runner('stt');
    await cluster.runner('mt');
    await waitForRunners(edge.url, { stt: 1, mt: 1 });

    const sessions = Array.from({ length: 3 }, (_, i) =>
      runSession(wsOf(edge.url), withPauses([recordings[i]!.pcm, recordings[i + 2]!.pcm]), 0),
    );
    while ((await health(edge.url)).queue.stt.active === 0) await new Promise((r) => setTimeout(r, 25));
    const exited = first.stop('SIGTERM');
    // With a 60 s lock, a job the stopping runner abandoned would stall these sessions past the test timeout.
    expect(await exited).toBe(0);
    await cluster.runner('stt');
    for (const events of await Promise.all(sessions)) {
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(expectDeliveryRules(events)).toHaveLength(2);
    }
  });
});
