/**
 * The streaming lane end to end (embedded server, in-process queue, real WebRTC VAD and pocketsphinx, librivox
 * speech): a session's finals equal the same utterances decoded one by one, partials come from the runner's
 * decoder state (fed only new audio) and never run backwards beyond the engine's own revisions, and the protocol a
 * client sees is the stateless lane's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.ts';
import type { ServerEvent } from '../../shared/protocol.ts';
import { loadFvad, WebRtcVad, type VadAggressiveness } from '../../shared/vad/webrtc-vad.ts';
import { UtteranceSegmenter } from '../../shared/vad/segmenter.ts';
import { SphinxEngine } from '../../gpu-runners/engines/sphinx.ts';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { withPauses } from '../support/sessions.ts';

const LANE = { EARSHOT_STT_LANE: 'streaming', EARSHOT_MT: 'none', EARSHOT_CATCH_UP: 'off', EARSHOT_PARTIAL_INTERVAL_MS: '350' };
let server: Awaited<ReturnType<typeof startTestServer>>;
const recordings = librivoxRecordings();
const audio = withPauses(recordings.map((r) => r.pcm));

beforeAll(async () => {
  server = await startTestServer(LANE);
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

/** The edge's utterances of `pcm` (same VAD, same settings), with each snapshot's stable audio. */
async function utterances(pcm: Int16Array) {
  const config = loadConfig(LANE);
  const vad = WebRtcVad.fromModule(await loadFvad(), { aggressiveness: config.vadAggressiveness as VadAggressiveness, sampleRate: 16000, frameMs: 30 });
  const segmenter = new UtteranceSegmenter(vad, { sampleRate: 16000, frameMs: 30, silenceMs: config.vadSilenceMs, maxUtteranceMs: config.vadMaxUtteranceMs, preRollMs: config.vadPreRollMs, minSpeechMs: 200, partialIntervalMs: config.partialIntervalMs });
  const events = [...segmenter.feed(pcm), ...segmenter.finish()];
  const byFinal = new Map<number, { pcm: Int16Array; stable: Int16Array[]; start: number }>();
  for (const e of events) {
    const entry = byFinal.get(e.segment) ?? { pcm: new Int16Array(0), stable: [], start: e.startSample / 16000 };
    if (e.type === 'utterance') entry.pcm = e.pcm;
    else entry.stable.push(e.pcm.slice(0, e.stableSamples));
    byFinal.set(e.segment, entry);
  }
  return byFinal;
}

const metric = async (name: string) => {
  const text = await (await fetch(`${server.server.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(new RegExp(`^${name}\\{outcome="(\\w+)"\\} (\\d+)`, 'gm'))].map((m) => [m[1]!, Number(m[2])]));
};

describe('streaming lane', { timeout: 300_000 }, () => {
  it('finals equal per-utterance decodes; partials come from the state and never run backwards beyond the engine', async () => {
    const events = await session(audio, 1.5);
    const finals = events.flatMap((e) => (e.type === 'final' ? [e] : []));
    const partials = events.flatMap((e) => (e.type === 'partial' ? [e] : []));
    expect(events.filter((e) => e.type === 'error')).toEqual([]);

    // The same utterances, each decoded alone by the engine (the path another runner takes to rebuild a state).
    const engine = new SphinxEngine({ maxStreams: 1 });
    await engine.load();
    await engine.streaming!.load();
    const cut = await utterances(audio);
    const expected: { seq: number; text: string }[] = [];
    const allowedPartials = new Map<number, { start: number; texts: string[] }>();
    for (const [segment, u] of cut) {
      expected.push({ seq: segment, text: await engine.streaming!.decode(u.pcm) });
      // Every hypothesis the engine itself gives on the way: at each snapshot's stable audio.
      // (One stream fed each stable prefix's new audio: hypotheses depend on the audio fed, not its pieces.)
      const texts: string[] = [];
      const stream = (await engine.streaming!.open())!;
      for (const prefix of u.stable) {
        if (prefix.length > stream.fed) await stream.feed(prefix.subarray(stream.fed));
        texts.push(await stream.hypothesis());
      }
      await stream.close();
      allowedPartials.set(segment, { start: u.start, texts });
    }
    await engine.close();

    expect(finals.map((f) => ({ seq: f.seq, text: f.text }))).toEqual(expected.filter((e) => e.text !== '' || finals.some((f) => f.seq === e.seq)));
    expect(finals.length).toBeGreaterThanOrEqual(recordings.length);

    // Partials: each one a hypothesis the engine gave for that utterance, in the engine's order.
    expect(partials.length).toBeGreaterThan(finals.length);
    let checked = 0;
    for (const [segment, { start, texts: allowed }] of allowedPartials) {
      const shown = partials.filter((p) => Math.abs(p.start - start) < 1e-6).map((p) => p.text);
      let at = 0;
      for (const text of shown) {
        const found = allowed.indexOf(text, at);
        expect(found, `segment ${segment}: partial "${text}" is not among the engine's hypotheses after #${at}: ${JSON.stringify(allowed)}`).toBeGreaterThanOrEqual(0);
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
