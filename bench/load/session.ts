/**
 * One simulated speaker: streams `seconds` of the speech loop from its own offset, paced at real time in 50 ms
 * frames, remembers when each frame left, and times every event against the audio it answers.
 */
import { connect, RealtimeError } from '../../client/realtime-client.ts';
import { loopSlice, RATE } from './corpus.ts';

export const FRAME_MS = 50;
const FRAME = (RATE * FRAME_MS) / 1000;

export interface SessionRecord {
  index: number;
  audioSeconds: number;
  /** ms: end of speech (wall time the final's `end` was sent) → the utterance's first final (rev 1). */
  finalLatencies: number[];
  /** ms: speech onset (wall time the audio at partial `start` + pre-roll was sent) → the utterance's first partial. */
  firstPartial: number[];
  /** ms between consecutive partials of one utterance. */
  partialIntervals: number[];
  /** Finals with text (rev 1; the server sends none for an utterance whose text is empty or withheld). */
  finals: number;
  /** Second-pass corrections (protocol v1.1 finals with rev ≥ 2): the server sends one only when the text changed. */
  corrections: number;
  partials: number;
  errors: Record<string, number>;
  /** Finals still owed when the drain wait ran out. */
  completed: boolean;
}

export interface SessionOptions {
  url: string;
  index: number;
  seconds: number;
  offsetSeconds: number;
  /** The VAD's pre-roll: a partial's `start` is this much before the detected speech onset. */
  prerollSeconds: number;
  drainMs: number;
  targets: string[];
  signal?: AbortSignal;
}

export async function runSession(o: SessionOptions): Promise<SessionRecord> {
  const record: SessionRecord = {
    index: o.index,
    audioSeconds: o.seconds,
    finalLatencies: [],
    firstPartial: [],
    partialIntervals: [],
    finals: 0,
    corrections: 0,
    partials: 0,
    errors: {},
    completed: false,
  };
  const fail = (code: string) => (record.errors[code] = (record.errors[code] ?? 0) + 1);
  const sentAt: number[] = [];
  /** Wall time (performance.now) the sample at audio time `t` left the client. */
  const wallAt = (t: number) => {
    const i = Math.max(0, Math.min(sentAt.length - 1, Math.ceil((t * RATE) / FRAME) - 1));
    return sentAt[i] ?? performance.now();
  };
  const lastPartial = new Map<number, number>();
  let session;
  try {
    session = await connect(
      o.url,
      // v1.1: corrected finals (second passes) reach the client and can be counted.
      { sample_rate: RATE, language: 'en', targets: o.targets, protocol: 1.1 },
      {
        readyTimeoutMs: 30000,
        onEvent: (ev) => {
          const now = performance.now();
          if (ev.type === 'final' && (ev.rev ?? 1) > 1) record.corrections += 1;
          else if (ev.type === 'final') {
            record.finals += 1;
            record.finalLatencies.push(now - wallAt(ev.end));
          } else if (ev.type === 'partial') {
            record.partials += 1;
            const previous = lastPartial.get(ev.start);
            if (previous === undefined) record.firstPartial.push(now - wallAt(ev.start + o.prerollSeconds));
            else record.partialIntervals.push(now - previous);
            lastPartial.set(ev.start, now);
          } else if (ev.type === 'error') fail(ev.code);
        },
      },
    );
  } catch (err) {
    fail(err instanceof RealtimeError ? err.code : 'connect_failed');
    return record;
  }
  const pcm = loopSlice(o.offsetSeconds, o.seconds);
  const started = performance.now();
  for (let i = 0; i < pcm.length && !o.signal?.aborted; i += FRAME) {
    sentAt.push(performance.now());
    if (!session.sendAudio(pcm.subarray(i, i + FRAME))) {
      fail('connection_closed');
      break;
    }
    const wait = started + ((i + FRAME) / RATE) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  session.stop();
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), o.drainMs).unref());
  const outcome = await Promise.race([
    session.done.then(
      () => 'done' as const,
      (err: unknown) => (err instanceof RealtimeError ? err.code : 'connection_closed'),
    ),
    timeout,
  ]);
  if (outcome === 'done') record.completed = true;
  else {
    fail(outcome === 'timeout' ? 'drain_timeout' : outcome);
    session.close();
  }
  return record;
}
