/** The OTLP/HTTP JSON exporter against a local collector stand-in: what `EARSHOT_OTEL=otlp` sends. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { silentLogger } from '../../../shared/logger.ts';
import { OtlpJsonExporter } from '../../../shared/telemetry/otlp-exporter.ts';
import { setupTracing } from '../../../shared/telemetry/setup.ts';
import { contextFrom, linkTo, traceparentOf, withSpan } from '../../../shared/telemetry/tracing.ts';

const received: { path: string; body: any }[] = [];
let collector: Server;
let endpoint: string;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

describe('OTLP JSON export', () => {
  it('posts spans with hex ids, parent, OTLP kind numbers, typed attributes and links', async () => {
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor(
          new OtlpJsonExporter({
            endpoint,
            serviceName: 'earshot-test',
            onError: (err) => {
              throw err;
            },
          }),
        ),
      ],
    });
    const tracer = provider.getTracer('earshot');
    const parent = tracer.startSpan('session', {
      kind: SpanKind.SERVER,
      attributes: { 'earshot.session': 's1', 'earshot.targets': ['es', 'fr'], ratio: 0.5, n: 3, ok: true },
    });
    const traceparent = traceparentOf(parent)!;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // A runner continues the trace from the job's traceparent alone.
    const child = tracer.startSpan(
      'stt.job',
      { kind: SpanKind.CONSUMER, links: linkTo(traceparent) },
      contextFrom(traceparent),
    );
    child.end();
    tracer.startSpan('deliver', {}, withSpan(child)).end();
    parent.end();
    await provider.forceFlush();

    expect(new Set(received.map((r) => r.path))).toEqual(new Set(['/v1/traces']));
    const batches = received.map((r) => r.body.resourceSpans[0]);
    expect(batches[0].resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'earshot-test' } }]);
    const spans = batches.flatMap((b) => b.scopeSpans[0].spans);
    const byName = Object.fromEntries(spans.map((s: any) => [s.name, s]));
    const [, traceId, spanId] = traceparent.split('-');
    expect(byName.session).toMatchObject({ traceId, spanId, kind: 2, status: { code: 0 } });
    expect(byName.session.parentSpanId).toBeUndefined();
    expect(BigInt(byName.session.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(byName.session.startTimeUnixNano));
    expect(byName.session.attributes).toEqual([
      { key: 'earshot.session', value: { stringValue: 's1' } },
      { key: 'earshot.targets', value: { arrayValue: { values: [{ stringValue: 'es' }, { stringValue: 'fr' }] } } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
      { key: 'n', value: { intValue: '3' } },
      { key: 'ok', value: { boolValue: true } },
    ]);
    expect(byName['stt.job']).toMatchObject({
      traceId,
      parentSpanId: spanId,
      kind: 5,
      links: [{ traceId, spanId, attributes: [] }],
    });
    expect(byName.deliver).toMatchObject({ traceId, parentSpanId: byName['stt.job'].spanId, kind: 1 });
    await provider.shutdown();
  });

  it('registers nothing when tracing is off: spans stay no-ops and jobs carry no traceparent', async () => {
    const tracing = setupTracing('off', 'earshot-test', silentLogger);
    const { tracer } = await import('../../../shared/telemetry/tracing.ts');
    const span = tracer.startSpan('session');
    expect(span.isRecording()).toBe(false);
    expect(traceparentOf(span)).toBeUndefined();
    expect(contextFrom('not-a-traceparent')).toBe(contextFrom(undefined));
    await tracing.shutdown();
  });
});
