/**
 * Wake word (issue 19 item 1) through the real server: pocketsphinx keyphrase spotting on the edge, the phrase
 * spoken by espeak-ng between two librivox recordings. Before the phrase nothing is captioned; after it the
 * session captions as usual. Librivox without the phrase wakes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { concat, placeBetween, spokenPhrase, WAKE_VOICES } from '../support/wake-audio.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
const recordings = librivoxRecordings();

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close(0);
});

async function session(pcm: Int16Array, start: Record<string, unknown>): Promise<TestSocket> {
  const socket = await TestSocket.open(server.wsUrl);
  socket.sendJson({ type: 'start', language: 'en', sample_rate: 16000, encoding: 'pcm16', ...start });
  await socket.waitFor('ready');
  // Twice real time: a client sends no faster than it records; a flood would outrun the detector (wake-gate.ts).
  await streamPcm((frame) => socket.sendRaw(frame), pcm, 2);
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 90_000);
  return socket;
}

describe('start.wake_word with the sphinx keyphrase engine', () => {
  it('captions nothing before "hey earshot" (espeak-ng voice inside librivox) and captions what follows it', async () => {
    const voice = WAKE_VOICES[1]!;
    const { pcm, end } = placeBetween(
      recordings[0]!.pcm,
      spokenPhrase('hey earshot', voice.voice, voice.speed),
      recordings[1]!.pcm,
    );
    const socket = await session(pcm, { wake_word: { phrase: 'hey earshot' } });
    const wake = socket.events.filter((e) => e.type === 'wake');
    expect(wake).toHaveLength(1);
    expect(wake[0]).toMatchObject({ type: 'wake', phrase: 'hey earshot' });
    const at = wake[0]!.type === 'wake' ? wake[0]!.at : 0;
    expect(at).toBeGreaterThan(end - 1.5);
    expect(at).toBeLessThan(end + 1);
    const finals = socket.events.flatMap((e) => (e.type === 'final' ? [e] : []));
    expect(finals.length).toBeGreaterThan(0);
    // Every caption lies after the phrase, in session time: the first recording was never transcribed.
    for (const final of finals) expect(final.start).toBeGreaterThanOrEqual(at - 0.5);
    const text = finals.map((f) => f.text).join(' ');
    expect(text).not.toMatch(/earshot/);
    expect(socket.events.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('wakes on nothing and captions nothing in librivox without the phrase', async () => {
    const socket = await session(concat(recordings.slice(0, 3).map((r) => r.pcm)), {
      wake_word: { phrase: 'hey earshot' },
    });
    expect(socket.events.filter((e) => e.type === 'wake' || e.type === 'final')).toEqual([]);
    expect(socket.events.at(-1)!.type).toBe('done');
  });

  it('in `utterance` mode captions one utterance per wake word, then waits for the phrase again', async () => {
    const phrase = spokenPhrase('hey earshot', WAKE_VOICES[0]!.voice, WAKE_VOICES[0]!.speed);
    const pause = new Int16Array(16000);
    // phrase → command → unrelated speech (not captioned) → phrase → command
    const pcm = concat([
      phrase,
      pause,
      recordings[2]!.pcm,
      pause,
      recordings[3]!.pcm,
      pause,
      phrase,
      pause,
      recordings[4]!.pcm,
      pause,
    ]);
    const socket = await session(pcm, { wake_word: { phrase: 'hey earshot', listen: 'utterance' } });
    const wakes = socket.events.flatMap((e) => (e.type === 'wake' ? [e] : []));
    expect(wakes).toHaveLength(2);
    const finals = socket.events.flatMap((e) => (e.type === 'final' ? [e] : []));
    const third = (recordings[2]!.pcm.length + phrase.length + 32000) / 16000;
    // One utterance after each phrase (the recogniser may split a long sentence into two).
    expect(finals.length).toBeGreaterThanOrEqual(2);
    expect(finals.filter((f) => f.start > third && f.end < wakes[1]!.at)).toEqual([]);
    expect(finals.some((f) => f.start >= wakes[1]!.at - 0.5)).toBe(true);
  });

  it('refuses a phrase it cannot spot with a typed error, and the connection can start again', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson({
      type: 'start',
      language: 'en',
      sample_rate: 16000,
      encoding: 'pcm16',
      wake_word: { phrase: 'one two three four five six seven' },
    });
    const error = await socket.waitFor('error');
    expect(error).toMatchObject({ code: 'unsupported_wake_word' });
    socket.sendJson({ type: 'start', language: 'en', sample_rate: 16000, encoding: 'pcm16' });
    await socket.waitFor('ready');
    socket.ws.close();
  });
});
