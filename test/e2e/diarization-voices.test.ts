/**
 * The embedded diarizer on real audio: MFCC voiceprints (gpu-runners/diarization/voiceprint.ts) of two-speaker
 * sessions from pocketsphinx-testdata and espeak-ng (run as processes, hence integration), clustered online in
 * utterance order. The utterance-level DER
 * counts speaker confusion only (shared/diarization/utterance-der.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { START, withPauses } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';
import { voiceprint, VOICEPRINT_DIMENSIONS } from '../../gpu-runners/diarization/voiceprint.ts';
import { SpeakerClusters } from '../../shared/diarization/speaker-clusters.ts';
import { utteranceDer } from '../../shared/diarization/utterance-der.ts';
import { scenario, type Scenario } from '../../bench/diarization/corpus.ts';

type Final = Extract<ServerEvent, { type: 'final' }>;

function diarize(name: Scenario) {
  const clusters = new SpeakerClusters();
  return scenario(name).map((u) => {
    const seconds = u.pcm.length / 16000;
    return { seconds, reference: u.speaker, hypothesis: clusters.assign(voiceprint(u.pcm), seconds) };
  });
}

describe('embedded diarization on real voices', () => {
  it('tells apart an espeak-ng man and woman taking turns: two speakers, no confusion', () => {
    const labelled = diarize('espeak-male-female');
    expect(labelled.map((u) => u.hypothesis)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(utteranceDer(labelled).der).toBe(0);
  });

  it('tells apart the librivox reader and the CMU recordings (real people, real microphones)', () => {
    const score = utteranceDer(diarize('librivox-cmu'));
    expect(score.hypothesisSpeakers).toBe(2);
    expect(score.der).toBeLessThan(0.1);
  });

  it('tells apart the librivox reader and espeak-ng', () => {
    expect(utteranceDer(diarize('librivox-espeak')).der).toBeLessThan(0.1);
  });

  it('keeps one voice as one speaker', () => {
    for (const name of ['librivox-alone', 'espeak-male-alone'] as const) {
      expect(new Set(diarize(name).map((u) => u.hypothesis))).toEqual(new Set([1]));
    }
  });

  it('gives silence no voiceprint and no speaker', () => {
    const silence = voiceprint(new Int16Array(16000));
    expect(silence.length === 0 || silence.length === VOICEPRINT_DIMENSIONS).toBe(true);
    expect(new SpeakerClusters().assign(new Float32Array(0), 1)).toBeUndefined();
    expect(new SpeakerClusters().assign([Number.NaN, 1], 1)).toBeUndefined();
  });
});

describe('speakers in a live session (real server: sphinx, apertium, MFCC voiceprints)', { timeout: 180_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close(0);
  });

  it('labels each final with its speaker for v1.2, not for v1.1, and names speakers in exports', async () => {
    const utterances = scenario('espeak-male-female');
    const pause = 1.2;
    // Where each utterance lies in the stream, to know who said each final.
    let at = 0;
    const spans = utterances.map((u) => {
      const span = { speaker: u.speaker, start: at, end: at + u.pcm.length / 16000 };
      at = span.end + pause;
      return span;
    });
    const speaker = await TestSocket.open(server.wsUrl);
    speaker.sendJson({ ...START, protocol: 1.2 });
    const { session } = await speaker.waitFor('ready');
    const viewer = await TestSocket.open(`${server.server.url.replace('http', 'ws')}/v1/watch/${session}?protocol=1.1`);
    await streamPcm(
      (f) => speaker.sendRaw(f),
      withPauses(
        utterances.map((u) => u.pcm),
        pause,
      ),
      3,
    );
    speaker.sendJson({ type: 'stop' });
    await speaker.waitFor('done', 0, 120_000);
    await viewer.waitFor('done', 0, 30_000);

    // The latest revision of each final (v1.2 includes v1.1's corrections), as exports hold them.
    const latest = new Map<number, Final>();
    for (const e of speaker.events) if (e.type === 'final') latest.set(e.seq, e);
    const finals = [...latest.values()];
    // A correction keeps its speaker.
    for (const e of speaker.events) if (e.type === 'final') expect(e.speaker).toBe(latest.get(e.seq)!.speaker);
    expect(finals.length).toBeGreaterThanOrEqual(utterances.length - 1);
    const said = (f: Final) =>
      spans.find((s) => (f.start + f.end) / 2 >= s.start - 0.3 && (f.start + f.end) / 2 <= s.end + 0.3)!.speaker;
    const score = utteranceDer(
      finals.map((f) => ({ seconds: f.end - f.start, reference: said(f), hypothesis: f.speaker })),
    );
    expect(score.hypothesisSpeakers).toBe(2);
    expect(score.der).toBeLessThan(0.1);
    // v1.1 viewers see exactly what they saw before: no speaker field.
    const seen = viewer.events.filter((e): e is Final => e.type === 'final');
    expect(seen.length).toBeGreaterThanOrEqual(finals.length);
    expect(seen.every((f) => f.speaker === undefined)).toBe(true);

    const base = `${server.server.url}/v1/sessions/${session}/transcript`;
    const txt = await (await fetch(`${base}?format=txt`)).text();
    expect(txt).toBe(finals.map((f) => `SPEAKER ${f.speaker}: ${f.text}\n`).join(''));
    const vtt = await (await fetch(`${base}?format=vtt`)).text();
    expect(vtt).toContain('<v Speaker 1>');
    expect(vtt).toContain('<v Speaker 2>');
    const json = (await (await fetch(`${base}?format=json`)).json()) as { segments: { speaker?: number }[] };
    expect(json.segments.map((s) => s.speaker)).toEqual(finals.map((f) => f.speaker));
    expect(await (await fetch(`${base}?format=txt&speakers=off`)).text()).toBe(
      finals.map((f) => `${f.text}\n`).join(''),
    );
  });
});
