/**
 * Observability of one real session on the embedded server: one connected OpenTelemetry trace (in-memory
 * exporter) from the edge through the queue and both runners back to the relay; the Prometheus metrics observed
 * along the way; and JSON logs in which every line about a job carries its session and job ids.
 */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { expectDeliveryRules, START, withPauses } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'debug' },
  { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
);

const recordings = librivoxRecordings();
let server: Awaited<ReturnType<typeof startTestServer>>;
let session: string;
let events: ServerEvent[];
let metricsDuring: string;

const scrape = async () => (await fetch(`${server.server.url}/metrics`)).text();
/** The value of one sample line (name with its labels, exactly as exposed). */
const sample = (body: string, series: string): number | undefined => {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

beforeAll(async () => {
  server = await startTestServer({}, logger);
  const socket = await TestSocket.open(server.wsUrl);
  socket.sendJson(START);
  session = (await socket.waitFor('ready')).session;
  await streamPcm((f) => socket.sendRaw(f), withPauses([recordings[1]!.pcm, recordings[4]!.pcm]), 4);
  metricsDuring = await scrape();
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 30_000);
  // The server closes after `done`; the connection counts until the close handshake ends.
  while (!socket.closed) await new Promise((r) => setTimeout(r, 10));
  events = socket.events;
}, 60_000);
afterAll(async () => {
  await server?.close(0);
});

describe('observability of one session', () => {
  it('yields one connected trace: session → enqueue → runner job → delivery, for finals and translations', () => {
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parent = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');
    const chain = (s: ReadableSpan): string[] => {
      const p = parent(s);
      return [s.name, ...(p ? chain(p) : [])];
    };
    // One root, the session; every other span hangs from it.
    expect(spans.filter((s) => !parent(s)).map((s) => s.name)).toEqual(['session']);
    expect(spans.find((s) => s.name === 'session')!.attributes['earshot.session']).toBe(session);

    const finals = expectDeliveryRules(events, ['es']);
    const delivered = spans.filter(
      (s) =>
        s.name === 'final.deliver' && s.attributes['earshot.delivered'] !== false && !s.attributes['earshot.empty'],
    );
    expect(delivered.map((s) => s.attributes['earshot.seq']).sort()).toEqual(finals.map((f) => f.seq));
    for (const span of delivered) expect(chain(span)).toEqual(['final.deliver', 'stt.job', 'stt.enqueue', 'session']);
    const translated = spans.filter((s) => s.name === 'translation.deliver');
    expect(translated).toHaveLength(finals.length);
    for (const span of translated)
      expect(chain(span)).toEqual(['translation.deliver', 'mt.job', 'stt.job', 'stt.enqueue', 'session']);
    // Batches hang in the trace too, and link every job they carried.
    const batches = spans.filter((s) => s.name === 'stt.batch' || s.name === 'mt.batch');
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) expect(batch.links.length).toBe(batch.attributes['earshot.batch.size']);
  });

  it('exposes the pipeline metrics with observations', async () => {
    expect(sample(metricsDuring, 'gateway_active_connections')).toBe(1);
    expect(sample(metricsDuring, 'redis_stream_length')).toBeGreaterThan(0);
    const after = await scrape();
    expect(sample(after, 'gateway_active_connections')).toBe(0);
    expect(sample(after, 'earshot_queue_depth{queue="stt"}')).toBe(0);
    const sttBatches = ['final', 'partial', 'mixed'].reduce(
      (n, kind) => n + (sample(after, `stt_processing_duration_seconds_count{kind="${kind}"}`) ?? 0),
      0,
    );
    expect(sttBatches).toBeGreaterThan(0);
    expect(sample(after, 'translation_batch_size_count')).toBeGreaterThan(0);
    const finals = events.filter((e) => e.type === 'final').length;
    expect(sample(after, 'earshot_end_of_speech_to_final_seconds_count')).toBe(finals);
    expect(sample(after, 'earshot_end_of_speech_to_final_seconds_sum')).toBeGreaterThan(0);
    console.info(
      `end of speech → final: ${((sample(after, 'earshot_end_of_speech_to_final_seconds_sum')! / finals) * 1000).toFixed(0)} ms on average over ${finals} finals`,
    );
  });

  it('logs every job with its session and job ids, in the edge and in both runners', () => {
    const jobLines = logLines.filter((l) => l.msg === 'job done');
    for (const runner of ['stt', 'mt']) {
      const mine = jobLines.filter((l) => l.runner === runner);
      expect(mine.length, runner).toBeGreaterThan(0);
      for (const line of mine) {
        expect(line.session).toBe(session);
        expect(String(line.job).startsWith(`${session}:`)).toBe(true);
      }
    }
    expect(logLines.some((l) => l.msg === 'session started' && l.session === session)).toBe(true);
  });
});
