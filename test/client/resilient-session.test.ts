/**
 * Lossless reconnect with the client library against the real embedded server: cutting the socket several times
 * mid-utterance yields the same transcript and translations as an uncut run, each caption exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientSession } from '../../client/resilient-session.ts';
import { connect, type RealtimeSession } from '../../client/realtime-client.ts';
import { startTestServer } from '../support/server.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { withPauses } from '../support/sessions.ts';
import type { ServerEvent } from '../../shared/protocol.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  // Catch-up off: the cut run is compared word for word with the uncut one, and catch-up segments by load.
  server = await startTestServer({ EARSHOT_CATCH_UP: 'off' });
});
afterAll(async () => {
  await server?.close(0);
});

const recordings = librivoxRecordings();
const audio = withPauses([recordings[0]!.pcm, recordings[2]!.pcm, recordings[4]!.pcm]);

/** Streams at `speed`× real time in 100 ms frames, calling `at(seconds)` as audio time passes. */
async function stream(
  session: ResilientSession,
  speed: number,
  at: (seconds: number) => void = () => {},
): Promise<void> {
  for (let i = 0; i < audio.length; i += 1600) {
    session.sendAudio(audio.slice(i, i + 1600));
    at(i / 16000);
    await new Promise((r) => setTimeout(r, 100 / speed));
  }
  session.stop();
  await session.done;
}

/**
 * Caption text and order; times are compared separately: WebRTC VAD adapts to the audio it has heard, so a
 * resumed segmenter (fresh detector) may place utterance edges a few frames differently.
 */
const captions = (events: ServerEvent[]) => [
  ...events.flatMap((e) => (e.type === 'final' ? [`final ${e.seq}: ${e.text}`] : [])),
  // A translation may arrive after later finals (never before its own): compare them as a set.
  ...events.flatMap((e) => (e.type === 'translation' ? [`${e.lang} ${e.seq}: ${e.text}`] : [])).sort(),
];
const times = (events: ServerEvent[]) => events.flatMap((e) => (e.type === 'final' ? [e.start, e.end] : []));

describe('ResilientSession', { timeout: 90_000 }, () => {
  it('cut mid-utterance three times: the same captions as an uncut run, each once', async () => {
    const uncut = await ResilientSession.open({ urls: [server.wsUrl], start: { sample_rate: 16000, targets: ['es'] } });
    await stream(uncut, 3);

    const cut = await ResilientSession.open({ urls: [server.wsUrl], start: { sample_rate: 16000, targets: ['es'] } });
    // Mid-utterance points: inside the first, second and third recordings.
    const cuts = [3.0, 7.1 + 1.2 + 2.0, 7.1 + 1.2 + 5.3 + 1.2 + 1.5];
    await stream(cut, 3, (seconds) => {
      if (cuts.length > 0 && seconds >= cuts[0]!) {
        cuts.shift();
        cut.cut();
      }
    });

    expect(cut.reconnects).toBe(3);
    // Word for word the same captions, in the same order: the VAD resets at utterance ends (so a resumed segmenter
    // cuts where an uninterrupted one does) and a decoder's result does not depend on what it decoded before.
    expect(captions(cut.events)).toEqual(captions(uncut.events));
    // Audio the server acknowledged was forgotten: at the end only the unsecured tail is held.
    expect(cut.unacknowledgedSamples).toBeLessThan(audio.length / 2);
    const drift = times(cut.events).map((t, i) => Math.abs(t - times(uncut.events)[i]!));
    expect(Math.max(...drift)).toBeLessThan(0.5);
    expect(cut.events.filter((e) => e.type === 'final')).toHaveLength(3);
    expect(cut.events.filter((e) => e.type === 'done')).toHaveLength(1);
  });

  it('a client that replays from the start after a cut (replay_from 0) loses and duplicates nothing', async () => {
    const uncut = await ResilientSession.open({ urls: [server.wsUrl], start: { sample_rate: 16000, targets: ['es'] } });
    await stream(uncut, 5);

    const events: ServerEvent[] = [];
    const send = async (session: RealtimeSession, from: number, to: number) => {
      for (let i = from; i < to; i += 1600) {
        session.sendAudio(audio.slice(i, Math.min(to, i + 1600)));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const first = await connect(
      server.wsUrl,
      { sample_rate: 16000, targets: ['es'], protocol: 1.1 },
      { onEvent: (e) => events.push(e) },
    );
    const id = first.ready.session;
    await send(first, 0, 16000 * 11); // into the second recording
    first.close(4000, 'cut');
    const lastSeq = Math.max(0, ...events.flatMap((e) => (e.type === 'translation' ? [e.seq] : [])));
    // This client kept everything and simply sends it all again; the server skips what it already has.
    const second = await connect(
      `${server.wsUrl}?session=${id}`,
      { sample_rate: 16000, targets: ['es'], protocol: 1.1, session: id, last_seq: lastSeq, replay_from: 0 },
      { onEvent: (e) => events.push(e) },
    );
    expect(second.ready.resume_from).toBeGreaterThan(0);
    await send(second, 0, audio.length);
    second.stop();
    await second.done;

    const seen = new Set<string>();
    const distinct = events.filter((e) => {
      const key =
        e.type === 'final'
          ? `f${e.seq}`
          : e.type === 'translation'
            ? `t${e.seq}${e.lang}`
            : e.type === 'done'
              ? 'done'
              : '';
      if (!key || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    expect(captions(distinct)).toEqual(captions(uncut.events));
  });

  it('an unknown session id is an error, not a retry loop', async () => {
    await expect(
      ResilientSession.open({ urls: [server.wsUrl], start: { sample_rate: 16000, session: 'no-such-session' } }),
    ).rejects.toMatchObject({ code: 'unknown_session' });
  });
});
