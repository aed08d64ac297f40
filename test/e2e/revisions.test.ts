/**
 * Revisable captions (protocol v1.1) end to end with the real engines: with the second pass always on, every final
 * is first decoded fast (narrower sphinx search) and then again at full effort; where the text changes, the speaker
 * and v1.1 viewers receive a correction in place (same seq, rev 2) followed by its translation, the export holds
 * the corrected text, a v1 viewer sees exactly the v1 stream, and the corrected transcript equals a one-pass run.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientSession } from '../../client/resilient-session.ts';
import { WatchEvent } from '../../shared/protocol.ts';
import { startTestServer } from '../support/server.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { withPauses } from '../support/sessions.ts';

let twoPass: Awaited<ReturnType<typeof startTestServer>>;
let onePass: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  // Catch-up off: under load it would decode late finals fast (and merge utterances), and the one-pass reference
  // must be full effort throughout.
  const env = { EARSHOT_CATCH_UP: 'off' };
  [twoPass, onePass] = await Promise.all([
    startTestServer({ ...env, EARSHOT_STT_TWO_PASS: 'always' }),
    startTestServer({ ...env, EARSHOT_STT_TWO_PASS: 'off' }),
  ]);
});
afterAll(async () => {
  await Promise.all([twoPass?.close(0), onePass?.close(0)]);
});

const recordings = librivoxRecordings();
const audio = withPauses(recordings.map((r) => r.pcm));

async function speak(url: string, onReady: (session: string) => void = () => {}): Promise<ResilientSession> {
  const session = await ResilientSession.open({
    urls: [url],
    start: { sample_rate: 16000, language: 'en', targets: ['es'] },
  });
  onReady(session.session!);
  for (let i = 0; i < audio.length; i += 3200) {
    session.sendAudio(audio.slice(i, i + 3200));
    await new Promise((r) => setTimeout(r, 50));
  }
  session.stop();
  await session.done;
  return session;
}

function watch(url: string): { events: WatchEvent[]; closed: Promise<void> } {
  const events: WatchEvent[] = [];
  const ws = new WebSocket(url);
  ws.on('message', (data) => events.push(WatchEvent.parse(JSON.parse(data.toString()))));
  return { events, closed: new Promise((resolve) => ws.on('close', () => resolve())) };
}

describe('revisable captions (protocol v1.1)', { timeout: 120_000 }, () => {
  it('corrects fast first-pass finals in place for speakers, v1.1 viewers and exports; v1 viewers keep v1', async () => {
    const viewers: { v11?: ReturnType<typeof watch>; v1?: ReturnType<typeof watch> } = {};
    const base = twoPass.wsUrl.replace('/v1/realtime', '/v1/watch/');
    const [speaker, reference] = await Promise.all([
      speak(twoPass.wsUrl, (id) => {
        viewers.v11 = watch(`${base}${id}?protocol=1.1`);
        viewers.v1 = watch(`${base}${id}`);
      }),
      speak(onePass.wsUrl),
    ]);
    await Promise.all([viewers.v11!.closed, viewers.v1!.closed]);

    // Some first passes were wrong and were corrected: the same seq again with rev 2 and other text.
    const finals = speaker.events.flatMap((e) => (e.type === 'final' ? [e] : []));
    const corrections = finals.filter((f) => f.rev === 2);
    expect(corrections.length).toBeGreaterThan(0);
    for (const c of corrections) expect(finals.find((f) => f.seq === c.seq && f.rev === 1)!.text).not.toBe(c.text);
    // Each correction's translation follows it, tagged with its rev.
    for (const c of corrections) {
      const at = speaker.events.indexOf(c);
      expect(speaker.events.slice(at).some((e) => e.type === 'translation' && e.seq === c.seq && e.rev === 2)).toBe(
        true,
      );
    }
    // After corrections, the transcript is the one a single full-effort pass gives, translations included.
    expect(speaker.transcript).toEqual(reference.transcript);

    // A v1.1 viewer gets the same captions and corrections as the speaker.
    const viewerFinals = viewers.v11!.events.flatMap((e) =>
      e.type === 'final' ? [`${e.seq}.${e.rev}: ${e.text}`] : [],
    );
    expect(viewerFinals).toEqual(finals.map((f) => `${f.seq}.${f.rev}: ${f.text}`));
    // A v1 viewer: one final per seq (the first pass), no rev fields, each with its translation.
    const v1Finals = viewers.v1!.events.flatMap((e) => (e.type === 'final' ? [e] : []));
    expect(v1Finals.map((f) => f.seq)).toEqual([...new Set(finals.map((f) => f.seq))]);
    expect(v1Finals.every((f) => f.rev === undefined)).toBe(true);
    expect(v1Finals.map((f) => f.text)).toEqual(finals.filter((f) => f.rev === 1).map((f) => f.text));
    expect(viewers.v1!.events.filter((e) => e.type === 'translation')).toHaveLength(v1Finals.length);

    // The export holds the corrected text, in the spoken language and in Spanish.
    const exported = async (lang: string) =>
      (
        (await (
          await fetch(`${twoPass.server.url}/v1/sessions/${speaker.session}/transcript?format=json&lang=${lang}`)
        ).json()) as { segments: { text: string }[] }
      ).segments.map((s) => s.text);
    expect(await exported('en')).toEqual(speaker.transcript.map((l) => l.text));
    expect(await exported('es')).toEqual(speaker.transcript.map((l) => l.translations.es));
    expect(await (await fetch(`${twoPass.server.url}/metrics`)).text()).toMatch(
      /earshot_stt_revisions_total\{changed="true"\} [1-9]/,
    );
  });
});
