/**
 * The Workers edge end to end: the embedded Node server in its origin role, `wrangler dev` (local workerd, no
 * network) in front of it, and librivox speech streamed through the Worker into a SessionRelay Durable Object,
 * which runs the session (VAD in WASM) and relays jobs and results over its origin socket. The relay reaches
 * the origin through a TCP proxy, so a test can cut that socket mid-session.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { expectDeliveryRules, START, transcript, withPauses } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { startWorkersDev, type WorkersDev } from '../support/workers.ts';

const SECRET = randomBytes(32).toString('hex');
const recordings = librivoxRecordings();
// Two utterances from the two shortest recordings (about 9 s with the pauses) keep the file well under a minute.
const parts = [withPauses([recordings[1]!.pcm]), withPauses([recordings[4]!.pcm])];

let server: Awaited<ReturnType<typeof startTestServer>>;
let proxy: TcpProxy;
let workers: WorkersDev;

beforeAll(async () => {
  server = await startTestServer({ EARSHOT_ORIGIN_SECRET: SECRET, EARSHOT_CATCH_UP: 'off' });
  proxy = await startTcpProxy(server.server.port);
  // This file compares relaying with the direct path (test/e2e/workers-conformance.test.ts holds auth and limits):
  // auth off, and no catch-up on either path: a session that falls behind on a loaded machine is decoded at `fast`
  // effort, with other words than its twin.
  workers = await startWorkersDev({
    EARSHOT_ORIGIN_URL: `http://127.0.0.1:${proxy.port}`,
    EARSHOT_ORIGIN_SECRET: SECRET,
    EARSHOT_AUTH: 'off',
    EARSHOT_CATCH_UP: 'off',
  });
  console.info(`wrangler dev answered after ${workers.startMs} ms`);
}, 60_000);

afterAll(async () => {
  if (process.env.EARSHOT_TEST_DEBUG) process.stderr.write(workers?.output.join('') ?? '');
  await workers?.stop();
  await proxy?.close();
  await server?.close(0);
});

interface Run {
  id: string;
  events: ServerEvent[];
  /** From opening the socket to `ready`. */
  readyMs: number;
  /** When each final arrived, in ms from the first audio frame. */
  finalAt: Map<number, number>;
}

/** A whole session of both utterances; `between` runs after the first one has been sent. */
async function session(
  url: string,
  hooks: { onReady?: (id: string) => void; between?: (socket: TestSocket) => Promise<void> } = {},
): Promise<Run> {
  const opened = performance.now();
  const socket = await TestSocket.open(url);
  socket.sendJson(START);
  const ready = await socket.waitFor('ready');
  const readyMs = performance.now() - opened;
  hooks.onReady?.(ready.session);
  const streaming = performance.now();
  const finalAt = new Map<number, number>();
  socket.ws.on('message', (data) => {
    const event = JSON.parse(String(data)) as ServerEvent;
    if (event.type === 'final') finalAt.set(event.seq, performance.now() - streaming);
  });
  await streamPcm((frame) => socket.sendRaw(frame), parts[0]!, 4);
  await hooks.between?.(socket);
  await streamPcm((frame) => socket.sendRaw(frame), parts[1]!, 4);
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 30_000);
  return { id: ready.session, events: socket.events, readyMs, finalAt };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const captions = (events: ServerEvent[]) => events.filter((e) => e.type === 'final' || e.type === 'translation');
/** What two sessions on different paths must agree on; a translation may overtake the next final on either. */
const said = (events: ServerEvent[]) => captions(events).sort((a, b) => a.seq - b.seq || a.type.localeCompare(b.type));

describe('the Workers edge (wrangler dev) relaying to a Node origin', () => {
  it('transcribes and translates through the SessionRelay exactly as the Node edge does', async () => {
    // The same speech at the same moment both ways: the two sessions' jobs share the queue and the runners' batches,
    // so the difference in their finals' arrival is what the relay's hops add.
    const [direct, relayed] = await Promise.all([session(server.wsUrl), session(workers.wsUrl)]);
    const extraMs = [...relayed.finalAt].map(([seq, at]) => at - (direct.finalAt.get(seq) ?? NaN));
    console.info(
      JSON.stringify({
        readyMs: { direct: Math.round(direct.readyMs), workers: Math.round(relayed.readyMs) },
        finalsExtraMsThroughWorkers: extraMs.map(Math.round),
        median: Math.round(median(extraMs)),
      }),
    );

    expect(relayed.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(expectDeliveryRules(relayed.events, ['es']).length).toBe(2);
    expect(transcript(relayed.events)).toBe(transcript(direct.events));
    expect(relayed.events.at(-1)!.type).toBe('done');
  }, 60_000);

  it('serves viewers from the relay, and resumes a finished session by id from its Durable Object log', async () => {
    let viewer: Promise<TestSocket> | undefined;
    const spoken = await session(workers.wsUrl, {
      onReady: (id) => (viewer = TestSocket.open(`${workers.url.replace('http', 'ws')}/v1/watch/${id}`)),
    });
    const watching = await viewer!;
    await watching.waitFor('done', 0, 30_000);
    expect(captions(watching.events)).toEqual(captions(spoken.events));

    // Resuming names the session in the URL, so the Worker routes the socket to the relay that holds it.
    const resumed = await TestSocket.open(`${workers.wsUrl}?session=${spoken.id}`);
    resumed.sendJson({ ...START, session: spoken.id, last_seq: 0 });
    await resumed.waitFor('done', 0, 20_000);
    expect(resumed.events[0]).toMatchObject({ type: 'ready', session: spoken.id });
    expect(captions(resumed.events)).toEqual(captions(spoken.events));

    // Without the id in the URL the session is not found: a new relay knows nothing of it.
    const lost = await TestSocket.open(workers.wsUrl);
    lost.sendJson({ ...START, session: spoken.id, last_seq: 0 });
    expect(await lost.waitFor('error')).toMatchObject({ code: 'unknown_session' });
    lost.close();
  }, 30_000);

  it('hands the session to its speaker reconnecting while the old socket is still open', async () => {
    const first = await TestSocket.open(workers.wsUrl);
    first.sendJson(START);
    const { session: id } = await first.waitFor('ready');
    await streamPcm((frame) => first.sendRaw(frame), parts[0]!, 4);
    await first.waitFor('final'); // the first utterance is secured

    const second = await TestSocket.open(`${workers.wsUrl}?session=${id}`);
    second.sendJson({ ...START, session: id, last_seq: 0 });
    const ready = await second.waitFor('ready');
    while (!first.closed) await new Promise((r) => setTimeout(r, 20));
    // Handed over as on the Node edge: the old connection hears session_replaced (4409).
    expect(first.closed.code).toBe(4409);
    // The client replays from what the relay secured: the rest of the speech.
    const speech = withPauses([recordings[1]!.pcm, recordings[4]!.pcm]);
    await streamPcm((frame) => second.sendRaw(frame), speech.subarray(Math.round(ready.resume_from! * 16000)), 4);
    second.sendJson({ type: 'stop' });
    await second.waitFor('done', 0, 30_000);
    expect(second.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(expectDeliveryRules(second.events, ['es']).map((f) => f.seq)).toEqual([1, 2]);
  }, 30_000);

  it('reconnects a relay whose origin socket drops mid-session, from its cursor: nothing lost, nothing twice', async () => {
    const accepted = proxy.accepted;
    const [direct, relayed] = await Promise.all([
      session(server.wsUrl),
      session(workers.wsUrl, {
        between: async (socket) => {
          await socket.waitFor('final'); // results are flowing: the relay has a cursor to resume from
          expect(proxy.cut()).toBeGreaterThan(0);
        },
      }),
    ]);
    expect(proxy.accepted).toBeGreaterThan(accepted);
    expect(relayed.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(expectDeliveryRules(relayed.events, ['es']).length).toBe(2);
    expect(said(relayed.events)).toEqual(said(direct.events));
  }, 30_000);
});
