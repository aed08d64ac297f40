/**
 * No invented text, end to end on the real embedded server with pocketsphinx: 20 s of digital silence and 20 s of
 * music-like noise (which WebRTC's VAD calls speech throughout and pocketsphinx turns into "in in an in…") give no
 * partial or final with text, and /metrics counts what was withheld, by reason; a recording with 12 s pauses of
 * quiet room noise between three utterances gives those utterances' words and nothing in the pauses. The control
 * runs the music with the guard off: the words come back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { corpusWer } from '../support/wer.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { musicLikeNoise } from '../support/music.ts';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';

const RATE = 16000;
type Server = Awaited<ReturnType<typeof startTestServer>>;

async function transcribe(server: Server, pcm: Int16Array): Promise<ServerEvent[]> {
  const socket = await TestSocket.open(server.wsUrl);
  socket.sendJson({ type: 'start', language: 'en', targets: [], sample_rate: RATE, encoding: 'pcm16' });
  await socket.waitFor('ready');
  await streamPcm((frame) => socket.sendRaw(frame), pcm, 4);
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 60_000);
  socket.close();
  expect(socket.events.filter((e) => e.type === 'error')).toEqual([]);
  return socket.events;
}

const texts = (events: ServerEvent[]) =>
  events.flatMap((e) => ((e.type === 'partial' || e.type === 'final') && e.text ? [`${e.type}: ${e.text}`] : []));

/** Quiet room tone (pink noise at about -40 dBFS), deterministic. */
function roomTone(seconds: number): Int16Array {
  let seed = 7;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  return Int16Array.from({ length: seconds * RATE }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const white = seed / 2 ** 32 - 0.5;
    // Paul Kellett's economy pink filter
    b0 = 0.99765 * b0 + white * 0.099046;
    b1 = 0.963 * b1 + white * 0.2965164;
    b2 = 0.57 * b2 + white * 1.0526913;
    return Math.round((b0 + b1 + b2 + white * 0.1848) * 0.01 * 32767);
  });
}

describe('hallucination guard on the realtime pipeline (pocketsphinx)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startTestServer({ EARSHOT_MT: 'none' });
  });
  afterAll(async () => server?.close(0));

  it('20 s of digital silence: no text at all', async () => {
    expect(texts(await transcribe(server, new Int16Array(20 * RATE)))).toEqual([]);
  });

  it('20 s of music-like noise: no partial or final text, and /metrics counts the withheld outputs by reason', async () => {
    expect(texts(await transcribe(server, musicLikeNoise(20)))).toEqual([]);
    const metrics = await (await fetch(`${server.server.url}/metrics`)).text();
    const suppressed = [
      ...metrics.matchAll(/^earshot_stt_suppressed_total\{reason="(\w+)",kind="(\w+)"\} (\d+)/gm),
    ].map(([, reason, kind, n]) => ({ reason, kind, n: Number(n) }));
    expect(suppressed.filter((s) => s.kind === 'final' && s.n > 0).map((s) => s.reason)).toContain('sparse');
    expect(suppressed.some((s) => s.kind === 'partial' && s.n > 0)).toBe(true);
  });

  it('speech with 12 s pauses of room tone: the three utterances, nothing in the pauses', async () => {
    const recordings = librivoxRecordings().filter((r) => /08[78]0|0890/.test(r.id));
    const parts: Int16Array[] = [];
    const spans: [number, number][] = [];
    let at = 0;
    for (const [i, r] of recordings.entries()) {
      if (i > 0) (parts.push(roomTone(12)), (at += 12));
      parts.push(r.pcm);
      spans.push([at, at + r.pcm.length / RATE]);
      at += r.pcm.length / RATE;
    }
    const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((offset, p) => (pcm.set(p, offset), offset + p.length), 0);

    const finals = (await transcribe(server, pcm)).filter(
      (e): e is Extract<ServerEvent, { type: 'final' }> => e.type === 'final' && e.text.length > 0,
    );
    expect(finals).toHaveLength(3);
    for (const [i, f] of finals.entries()) {
      const [from, to] = spans[i]!;
      expect(f.start).toBeLessThan(to);
      expect(f.end).toBeGreaterThan(from);
    }
    // Debian's pocketsphinx gets about 28 % WER on these recordings; a withheld utterance would cost a third.
    expect(corpusWer(recordings.map((r, i) => ({ reference: r.reference, hypothesis: finals[i]!.text })))).toBeLessThan(
      0.4,
    );
  });
});

describe('control: the guard off', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startTestServer({ EARSHOT_MT: 'none', EARSHOT_HALLUCINATION_GUARD: 'off' });
  });
  afterAll(async () => server?.close(0));

  it('the same music-like noise comes back as words', async () => {
    expect(texts(await transcribe(server, musicLikeNoise(20))).length).toBeGreaterThan(0);
  });
});
