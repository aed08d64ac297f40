/**
 * Per-stage latency of a real session (embedded server, sphinx, apertium): every final and translation is timed
 * through VAD, queue, STT, MT and relay; the stages are exported as `earshot_stage_seconds{stage}` and the session's
 * own summary (percentiles against the configured budgets, catch-up counts) is logged when it is done.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { expectDeliveryRules, START, withPauses } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';

const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'info' },
  { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
);
const recordings = librivoxRecordings();
let server: Awaited<ReturnType<typeof startTestServer>>;
let events: ServerEvent[];

const STAGES = ['vad', 'queue', 'stt', 'mt', 'relay'];
const count = (body: string, stage: string): number =>
  Number(
    / (\S+)$/.exec(
      body.split('\n').find((l) => l.startsWith(`earshot_stage_seconds_count{stage="${stage}"}`)) ?? ' NaN',
    )![1],
  );

beforeAll(async () => {
  server = await startTestServer({ EARSHOT_BUDGET_RELAY_MS: '40' }, logger);
  const socket = await TestSocket.open(server.wsUrl);
  socket.sendJson(START);
  await socket.waitFor('ready');
  await streamPcm(
    (f) => socket.sendRaw(f),
    withPauses([recordings[0]!.pcm, recordings[2]!.pcm, recordings[3]!.pcm]),
    4,
  );
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 120_000);
  events = socket.events;
}, 180_000);
afterAll(() => server?.close(0));

describe('per-stage latency', () => {
  it('exports every stage of every final and translation as earshot_stage_seconds{stage}', async () => {
    const finals = expectDeliveryRules(events).filter((f) => f.text);
    expect(finals.length).toBeGreaterThanOrEqual(3);
    const body = await (await fetch(`${server.server.url}/metrics`)).text();
    for (const stage of ['vad', 'queue', 'stt'])
      expect(count(body, stage), stage).toBeGreaterThanOrEqual(finals.length);
    // One translation per final (target es); relay times finals and translations alike.
    expect(count(body, 'mt')).toBeGreaterThanOrEqual(finals.length);
    expect(count(body, 'relay')).toBeGreaterThanOrEqual(2 * finals.length);
    expect(body).toContain('# TYPE earshot_catchup_total counter');
  });

  it("logs the session's stage summary against its budgets when it is done", () => {
    const done = logLines.find((l) => l.msg === 'session done') as {
      stages: Record<
        string,
        { count: number; p50Ms: number; p90Ms: number; maxMs: number; budgetMs: number; overBudget: number }
      >;
      catchUp: Record<string, number>;
    };
    expect(Object.keys(done.stages).sort()).toEqual([...STAGES].sort());
    for (const stage of STAGES) {
      const s = done.stages[stage]!;
      expect(s.count).toBeGreaterThanOrEqual(3);
      expect(s.p50Ms).toBeLessThanOrEqual(s.p90Ms);
      expect(s.p90Ms).toBeLessThanOrEqual(s.maxMs);
      expect(s.overBudget).toBeLessThanOrEqual(s.count);
    }
    expect(done.stages.relay!.budgetMs).toBe(40);
    expect(done.stages.queue!.budgetMs).toBe(2000);
    expect(done.stages.vad!.p50Ms).toBeGreaterThan(0); // the silence wait, at least
    // Whether this session fell behind depends on the machine; the summary says what catch-up did either way.
    expect(Object.keys(done.catchUp).sort()).toEqual(['droppedPartials', 'episodes', 'fastFinals', 'mergedPauses']);
  });
});
