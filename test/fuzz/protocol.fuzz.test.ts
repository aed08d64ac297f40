/**
 * Property tests of the realtime protocol handling: any text or binary frame, in any order, produces only valid
 * server events with known error codes, never an exception; the corpus in test/corpus/ws-frames.json is replayed.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors.ts';
import { silentLogger } from '../../shared/logger.ts';
import { ServerEvent } from '../../shared/protocol.ts';
import { createDrivers } from '../../shared/queue/drivers.ts';
import { loadFvad, WebRtcVad } from '../../shared/vad/webrtc-vad.ts';
import { RealtimeSession, type SessionDeps } from '../../edge/realtime/session.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../edge/realtime/client-limits.ts';

const corpus = JSON.parse(readFileSync('test/corpus/ws-frames.json', 'utf8')) as {
  text: string[];
  binaryLengths: number[];
};
const fvad = await loadFvad();
const drivers = createDrivers({
  redisUrl: '',
  prefix: 'fuzz',
  attempts: 1,
  lockMs: 1000,
  retentionMs: 1000,
  logger: silentLogger,
});
const deps: SessionDeps = {
  sttQueue: drivers.sttQueue,
  results: drivers.results,
  store: drivers.store,
  createVad: () => WebRtcVad.fromModule(fvad, { aggressiveness: 3, sampleRate: 16000, frameMs: 30 }),
  capabilities: { sttLanguages: ['en'], defaultLanguage: 'en', translates: (_s, t) => t === 'es' },
  limits: { maxFrameBytes: 1024 * 1024, maxSessionSeconds: 60 },
  clientLimits: DEFAULT_CLIENT_LIMITS,
  startTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  segmenter: { silenceMs: 300, maxUtteranceMs: 5000, preRollMs: 100, minSpeechMs: 100, partialIntervalMs: 0 },
  shedPartials: () => false,
  logger: silentLogger,
} as SessionDeps;

type Frame = { text: string } | { binary: Uint8Array };

async function play(frames: Frame[]): Promise<unknown[]> {
  const sent: unknown[] = [];
  const session = new RealtimeSession(crypto.randomUUID(), deps, {
    send: (e) => sent.push(e),
    close: () => undefined,
    bufferedAmount: () => 0,
  });
  for (const frame of frames) {
    if ('text' in frame) session.onText(frame.text);
    else session.onBinary(frame.binary);
    await Promise.resolve();
  }
  await new Promise((r) => setTimeout(r, 0));
  session.onClose();
  return sent;
}

function expectValid(sent: unknown[]): void {
  for (const event of sent) {
    const parsed = ServerEvent.safeParse(event);
    expect(parsed.success, JSON.stringify(event)).toBe(true);
    if (parsed.success && parsed.data.type === 'error') expect(Object.keys(ERROR_CODES)).toContain(parsed.data.code);
  }
}

const start = JSON.stringify({ type: 'start', language: 'en', targets: ['es'], sample_rate: 16000, encoding: 'pcm16' });
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.string().map((text) => ({ text })),
  fc.jsonValue().map((v) => ({ text: JSON.stringify(v) })),
  fc
    .record(
      {
        type: fc.constantFrom('start', 'stop', 'ready', 'x'),
        sample_rate: fc.oneof(fc.integer(), fc.double()),
        encoding: fc.constantFrom('pcm16', 'opus'),
        targets: fc.array(fc.string(), { maxLength: 20 }),
        language: fc.string(),
        session: fc.string(),
        last_seq: fc.integer(),
      },
      { requiredKeys: ['type'] },
    )
    .map((v) => ({ text: JSON.stringify(v) })),
  fc.constant({ text: start }),
  fc.uint8Array({ maxLength: 4000 }).map((binary) => ({ binary })),
);

describe('protocol fuzzing', () => {
  it('any sequence of frames yields only valid events with known codes, and no exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { maxLength: 25 }), async (frames) => expectValid(await play(frames))),
      { numRuns: 300 },
    );
  });

  it('the malformed-frame corpus is rejected with typed errors', async () => {
    for (const text of corpus.text) expectValid(await play([{ text }]));
    for (const length of corpus.binaryLengths) {
      const sent = await play([{ text: start }, { binary: new Uint8Array(length) }]);
      expectValid(sent);
      if (length % 2 === 1 && length <= 1024 * 1024)
        expect(sent).toContainEqual(expect.objectContaining({ type: 'error', code: 'bad_frame' }));
      if (length > 1024 * 1024)
        expect(sent).toContainEqual(expect.objectContaining({ type: 'error', code: 'frame_too_large' }));
    }
  });
});
