/**
 * `GET /v1/sessions/:id/transcript` on a live session (real server, sphinx + apertium): mid-stream it holds the
 * finals so far; after `done` it holds exactly what the speaker received, in every format and in the target
 * language.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { START, withPauses } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';

type Final = Extract<ServerEvent, { type: 'final' }>;
type Translation = Extract<ServerEvent, { type: 'translation' }>;
interface Exported {
  session: string;
  language: string;
  source_language: string;
  complete: boolean;
  segments: { seq: number; start: number; end: number; text: string }[];
}

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close(0);
});

const transcript = (session: string, query: string) =>
  fetch(`${server.server.url}/v1/sessions/${session}/transcript?${query}`);

describe('transcript export of a live session', { timeout: 180_000 }, () => {
  it('serves the finals so far while the speaker talks, then everything they received after done', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson(START);
    const { session } = await socket.waitFor('ready');
    const streaming = streamPcm((f) => socket.sendRaw(f), withPauses(librivoxRecordings().map((r) => r.pcm)), 2);

    // Mid-stream: the first final is in the export, and the export says the session is not complete.
    const first = await socket.waitFor('final', 0, 60_000);
    const during = (await (await transcript(session, 'format=json')).json()) as Exported;
    expect(during).toMatchObject({ session, language: 'en', source_language: 'en', complete: false });
    expect(during.segments[0]).toEqual({ seq: first.seq, start: first.start, end: first.end, text: first.text });
    const srtDuring = await (await transcript(session, 'format=srt')).text();
    expect(srtDuring).toMatch(/^1\n00:00:\d\d,\d{3} --> /);

    await streaming;
    socket.sendJson({ type: 'stop' });
    await socket.waitFor('done', 0, 120_000);
    const finals = socket.events.filter((e): e is Final => e.type === 'final');
    const translations = socket.events.filter((e): e is Translation => e.type === 'translation');
    expect(finals.length).toBeGreaterThan(during.segments.length);

    const after = (await (await transcript(session, 'format=json')).json()) as Exported;
    expect(after.complete).toBe(true);
    expect(after.segments).toEqual(finals.map(({ seq, start, end, text }) => ({ seq, start, end, text })));

    const es = (await (await transcript(session, 'format=json&lang=es')).json()) as Exported;
    expect(es).toMatchObject({ language: 'es', source_language: 'en', complete: true });
    expect(es.segments.map((s) => [s.seq, s.text])).toEqual(
      finals.map((f) => [f.seq, translations.find((t) => t.seq === f.seq)!.text]),
    );
    expect(es.segments.map((s) => s.start)).toEqual(finals.map((f) => f.start));

    const txt = await transcript(session, 'format=txt');
    expect(txt.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await txt.text()).toBe(finals.map((f) => `${f.text}\n`).join(''));
    const srt = await transcript(session, 'format=srt');
    expect(srt.headers.get('content-disposition')).toBe(`inline; filename="${session}.en.srt"`);
    expect((await srt.text()).split('\n\n').filter(Boolean).length).toBeGreaterThanOrEqual(finals.length);
    const vtt = await (await transcript(session, 'format=vtt&lang=es')).text();
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    expect(vtt.replace(/\n/g, ' ')).toContain(translations[0]!.text.split(/\s+/).slice(0, 3).join(' '));
  });

  it('answers 404 for an unknown session and 400 for a language or format it does not have', async () => {
    const unknown = await transcript('no-such-session', 'format=srt');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_session' } });

    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson(START);
    const { session } = await socket.waitFor('ready');
    const french = await transcript(session, 'lang=fr');
    expect(french.status).toBe(400);
    expect(await french.json()).toMatchObject({
      error: { code: 'unsupported_target', message: expect.stringMatching(/en, es/) },
    });
    const pdf = await transcript(session, 'format=pdf');
    expect(pdf.status).toBe(400);
    expect(await pdf.json()).toMatchObject({ error: { code: 'invalid_request' } });
    // A session with nothing said yet exports empty captions, not an error.
    expect(await (await transcript(session, 'format=vtt')).text()).toBe('WEBVTT\n\n');
    socket.close();
  });
});
