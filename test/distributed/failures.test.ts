/**
 * Failure tests with real processes and a real Redis: a runner killed mid-batch, Redis restarted under load, an
 * edge killed under a connected client, and a job that keeps failing. Nothing the client was promised is lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, waitForRunners } from '../support/cluster.ts';
import { TestRedis } from '../support/redis-server.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { TestSocket } from '../support/socket.ts';
import { expectDeliveryRules, runSession, START, transcript, withPauses } from '../support/sessions.ts';
import { corpusWer } from '../support/wer.ts';
import { startTestServer } from '../support/server.ts';
import type { ServerEvent } from '../../shared/protocol.ts';

const recordings = librivoxRecordings();
const threeUtterances = withPauses([recordings[1]!.pcm, recordings[4]!.pcm, recordings[2]!.pcm]);
const reference = [recordings[1]!, recordings[4]!, recordings[2]!].map((r) => r.reference).join(' ');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(env: Record<string, string> = {}, redisOptions: { dataDir?: string } = {}) {
  const redis = await TestRedis.start(redisOptions);
  const cluster = new Cluster(redis.url, { EARSHOT_SPHINX_DECODERS: '1', EARSHOT_JOB_LOCK_MS: '1500', ...env });
  cleanups.push(async () => {
    await cluster.stopAll();
    await redis.stop();
  });
  return { redis, cluster };
}

const wsOf = (url: string) => `${url.replace('http', 'ws')}/v1/realtime`;
const health = async (url: string) =>
  ((await (await fetch(`${url}/health/full`)).json()) as { components: Record<string, any> }).components;

describe('failures', { timeout: 120_000 }, () => {
  it('(a) kill -9 of an STT runner mid-batch: its jobs are redelivered, every final arrives exactly once', async () => {
    const { cluster } = await setup();
    const edge = await cluster.edge();
    await cluster.runner('mt');
    const doomed = await cluster.runner('stt');
    await waitForRunners(edge.url, { stt: 1, mt: 1 });

    const sessions = Array.from({ length: 4 }, (_, i) =>
      runSession(wsOf(edge.url), withPauses([recordings[i]!.pcm, recordings[i + 1]!.pcm]), 0),
    );
    // Kill the runner while it holds jobs.
    for (let i = 0; (await health(edge.url)).queue.stt.active === 0; i++) {
      if (i > 400) throw new Error('runner never took a job');
      await new Promise((r) => setTimeout(r, 25));
    }
    const heldWhenKilled = (await health(edge.url)).queue.stt.active as number;
    await doomed.kill9();
    await cluster.runner('stt');

    const results = await Promise.all(sessions);
    expect(heldWhenKilled).toBeGreaterThan(0);
    for (const [i, events] of results.entries()) {
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(expectDeliveryRules(events)).toHaveLength(2);
      expect(
        corpusWer([
          { reference: `${recordings[i]!.reference} ${recordings[i + 1]!.reference}`, hypothesis: transcript(events) },
        ]),
      ).toBeLessThan(0.5);
    }
  });

  it('(b) Redis stopped and restarted mid-session: edges and runners reconnect, the session continues, nothing silently lost', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'earshot-redis-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const { redis, cluster } = await setup({}, { dataDir });
    const edge = await cluster.edge();
    await Promise.all([cluster.runner('stt'), cluster.runner('mt')]);
    await waitForRunners(edge.url, { stt: 1, mt: 1 });

    const session = runSession(wsOf(edge.url), threeUtterances, 2);
    await new Promise((r) => setTimeout(r, 2500));
    await redis.stop();
    const down = (await health(edge.url)).queue.status;
    await new Promise((r) => setTimeout(r, 2000));
    await redis.restart();
    const events = await session;

    expect(down).toBe('down');
    expect(events.at(-1)!.type).toBe('done');
    const finals = expectDeliveryRules(events);
    const errors = events.filter((e): e is Extract<ServerEvent, { type: 'error' }> => e.type === 'error');
    // Every utterance is accounted for: a final, or an error naming its stretch of audio.
    for (const error of errors) {
      expect(error.code).toBe('queue_unavailable');
      expect(error.seq).toBeGreaterThan(0);
    }
    expect(finals.length + errors.length).toBe(3);
    expect(finals.length).toBeGreaterThanOrEqual(2);
    expect(corpusWer([{ reference, hypothesis: transcript(events) }])).toBeLessThan(errors.length ? 0.7 : 0.45);
  });

  it('(c) the edge a client is connected to is killed: the client resumes on the other edge and gets the rest', async () => {
    const { cluster } = await setup();
    const [edgeA, edgeB] = await Promise.all([cluster.edge(), cluster.edge()]);
    await Promise.all([cluster.runner('stt'), cluster.runner('mt')]);
    await waitForRunners(edgeB!.url, { stt: 1, mt: 1 });

    const first = await TestSocket.open(wsOf(edgeA!.url));
    first.sendJson(START);
    const { session } = await first.waitFor('ready');
    const sending = streamPcm((f) => first.ws.readyState === 1 && first.sendRaw(f), threeUtterances, 1.5);
    await first.waitFor('translation', 0, 60_000); // one caption complete on edge A
    await edgeA!.kill9();
    await sending;

    // What the client has: every final up to last_seq with its translation.
    const have = first.events;
    const complete = have.filter(
      (e) => e.type === 'final' && have.some((t) => t.type === 'translation' && t.seq === e.seq),
    );
    const lastSeq = Math.max(0, ...complete.map((e) => (e.type === 'final' ? e.seq : 0)));

    const second = await TestSocket.open(wsOf(edgeB!.url));
    second.sendJson({ ...START, session, last_seq: lastSeq });
    const ready = await second.waitFor('ready');
    expect(ready.session).toBe(session);
    expect(ready.resume_from).toBeGreaterThan(0);
    // Replay the audio the new edge has not secured.
    await streamPcm((f) => second.sendRaw(f), threeUtterances.subarray(Math.round(ready.resume_from! * 16000)), 3);
    second.sendJson({ type: 'stop' });
    await second.waitFor('done', 0, 60_000);

    // The client library's view: events after last_seq come from the new edge; duplicates of what it had are dropped.
    const seen = new Set<string>();
    const merged = [...have, ...second.events].filter((e) => {
      if (e.type !== 'final' && e.type !== 'translation') return e.type === 'done';
      const key = e.type === 'final' ? `f${e.seq}` : `t${e.seq}${e.lang}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    expect(second.events.filter((e) => e.type === 'final' && e.seq <= lastSeq)).toEqual([]);
    const finals = expectDeliveryRules(merged);
    expect(finals.length).toBe(3);
    expect(corpusWer([{ reference, hypothesis: transcript(merged) }])).toBeLessThan(0.45);
  });

  it('(d) a job that fails every attempt is dead-lettered, shown in /health/full, and reported to the client', async () => {
    const redis = await TestRedis.start();
    const server = await startTestServer({
      REDIS_URL: redis.url,
      EARSHOT_REDIS_PREFIX: `d-${Date.now()}`,
      EARSHOT_FAULT_STT_FAIL: ':2$',
      EARSHOT_STT_ATTEMPTS: '2',
    });
    cleanups.push(async () => {
      await server.close(0);
      await redis.stop();
    });
    const events = await runSession(server.wsUrl, threeUtterances, 0);
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ type: 'error', code: 'stt_failed', seq: 2 });
    expect(events.filter((e) => e.type === 'final').map((e) => (e.type === 'final' ? e.seq : 0))).toEqual([1, 3]);
    expect(events.at(-1)!.type).toBe('done');
    const components = await health(server.server.url);
    expect(components.queue.deadLetters).toBeGreaterThanOrEqual(1);
  });
});
