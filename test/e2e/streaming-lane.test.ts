/**
 * The streaming lane end to end (embedded server, in-process queue, real WebRTC VAD and pocketsphinx, librivox
 * speech): a session's finals equal the same utterances decoded one by one, partials come from the runner's
 * decoder state (fed only new audio) and never run backwards beyond the engine's own revisions, and the protocol a
 * client sees is the stateless lane's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { expectedStreaming, waitForStreams } from '../support/streaming-lane.ts';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { withPauses } from '../support/sessions.ts';

const LANE = {
  EARSHOT_STT_LANE: 'streaming',
  EARSHOT_MT: 'none',
  EARSHOT_CATCH_UP: 'off',
  EARSHOT_PARTIAL_INTERVAL_MS: '350',
};
let server: Awaited<ReturnType<typeof startTestServer>>;
const recordings = librivoxRecordings();
const audio = withPauses(recordings.map((r) => r.pcm));

beforeAll(async () => {
  server = await startTestServer(LANE);
  await waitForStreams(server.server.url);
});
afterAll(async () => {
  await server?.close(0);
});

async function session(pcm: Int16Array, speed: number): Promise<ServerEvent[]> {
  const socket = await TestSocket.open(server.wsUrl);
  socket.sendJson({ type: 'start', language: 'en', targets: [], sample_rate: 16000, encoding: 'pcm16' });
  await socket.waitFor('ready');
  await streamPcm((frame) => socket.sendRaw(frame), pcm, speed);
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 120_000);
  socket.close();
  return socket.events;
}

const metric = async (name: string) => {
  const text = await (await fetch(`${server.server.url}/metrics`)).text();
  return Object.fromEntries(
    [...text.matchAll(new RegExp(`^${name}\\{outcome="(\\w+)"\\} (\\d+)`, 'gm'))].map((m) => [m[1]!, Number(m[2])]),
  );
};

describe('streaming lane', { timeout: 300_000 }, () => {
  it('finals equal per-utterance decodes; partials come from the state and never run backwards beyond the engine', async () => {
    const events = await session(audio, 1.5);
    const finals = events.flatMap((e) => (e.type === 'final' ? [e] : []));
    const partials = events.flatMap((e) => (e.type === 'partial' ? [e] : []));
    expect(events.filter((e) => e.type === 'error')).toEqual([]);

    // The same utterances, each decoded alone (the path another runner takes to rebuild a state).
    const expected = await expectedStreaming(audio, LANE);
    expect(finals.map((f) => ({ seq: f.seq, text: f.text }))).toEqual(
      expected
        .filter((e) => e.final !== '' || finals.some((f) => f.seq === e.seq))
        .map((e) => ({ seq: e.seq, text: e.final })),
    );
    expect(finals.length).toBeGreaterThanOrEqual(recordings.length);

    // Partials: each one a hypothesis the engine gave for that utterance, in the engine's order.
    // How many depends on how far behind the runner is (a session behind gets only its newest partial read back).
    expect(partials.length).toBeGreaterThan(0);
    let checked = 0;
    for (const { start, partials: allowed, seq } of expected) {
      const shown = partials.filter((p) => Math.abs(p.start - start) < 1e-6).map((p) => p.text);
      let at = 0;
      for (const text of shown) {
        const found = allowed.indexOf(text, at);
        expect(
          found,
          `utterance ${seq}: partial "${text}" is not among the engine's hypotheses after #${at}: ${JSON.stringify(allowed)}`,
        ).toBeGreaterThanOrEqual(0);
        at = found;
        checked += 1;
      }
    }
    expect(checked).toBe(partials.length);

    // Served from the runner's states: fed partials and finished finals, nothing rebuilt from the start.
    const jobs = await metric('earshot_stt_stream_jobs_total');
    expect(jobs.fed).toBeGreaterThan(0);
    expect(jobs.finished).toBeGreaterThan(0);
    expect(jobs.rebuilt ?? 0).toBe(0);
    const health = (await (await fetch(`${server.server.url}/health/full`)).json()) as any;
    expect(health.components.runners.stt[0].streams.max).toBe(16);
  });
});
