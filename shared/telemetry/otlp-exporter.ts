/**
 * A span exporter that POSTs OTLP/HTTP JSON (`/v1/traces`) to a collector (the OpenTelemetry Collector, Jaeger,
 * Tempo all accept it). earshot's dependencies include the SDK but not the OTLP exporter packages, and the JSON
 * mapping is small: hex ids, nanosecond strings, typed attribute values, OTLP's kind numbering.
 */
import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

type ExportCallback = Parameters<SpanExporter['export']>[1];
// ExportResultCode from @opentelemetry/core, which earshot does not depend on directly.
const SUCCESS = 0;
const FAILED = 1;

type OtlpValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpValue[] } };

function value(v: AttributeValue): OtlpValue {
  if (Array.isArray(v))
    return {
      arrayValue: { values: v.filter((x) => x !== null && x !== undefined).map((x) => value(x as AttributeValue)) },
    };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: String(v) };
}

const attributes = (attrs: Attributes) =>
  Object.entries(attrs)
    .filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined)
    .map(([key, v]) => ({ key, value: value(v) }));

const nanos = ([seconds, ns]: HrTime): string => (BigInt(seconds) * 1_000_000_000n + BigInt(ns)).toString();

export function toOtlpJson(spans: ReadableSpan[], serviceName: string): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes({ 'service.name': serviceName }) },
        scopeSpans: [
          {
            scope: { name: 'earshot' },
            spans: spans.map((span) => ({
              traceId: span.spanContext().traceId,
              spanId: span.spanContext().spanId,
              ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
              name: span.name,
              kind: span.kind + 1, // the API counts from INTERNAL = 0; OTLP reserves 0 for "unspecified"
              startTimeUnixNano: nanos(span.startTime),
              endTimeUnixNano: nanos(span.endTime),
              attributes: attributes(span.attributes),
              events: span.events.map((e) => ({
                name: e.name,
                timeUnixNano: nanos(e.time),
                attributes: attributes(e.attributes ?? {}),
              })),
              links: span.links.map((l) => ({
                traceId: l.context.traceId,
                spanId: l.context.spanId,
                attributes: attributes(l.attributes ?? {}),
              })),
              status: { code: span.status.code, ...(span.status.message ? { message: span.status.message } : {}) },
            })),
          },
        ],
      },
    ],
  };
}

export class OtlpJsonExporter implements SpanExporter {
  readonly #url: string;
  readonly #serviceName: string;
  readonly #onError: (err: Error) => void;
  readonly #inflight = new Set<Promise<void>>();

  /** `endpoint`: the collector's base URL (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. http://localhost:4318. */
  constructor(options: { endpoint: string; serviceName: string; onError: (err: Error) => void }) {
    this.#url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
    this.#serviceName = options.serviceName;
    this.#onError = options.onError;
  }

  export(spans: ReadableSpan[], done: ExportCallback): void {
    const sent = fetch(this.#url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(toOtlpJson(spans, this.#serviceName)),
      signal: AbortSignal.timeout(10_000),
    })
      .then((res) => {
        if (!res.ok) throw new Error(`OTLP collector answered ${res.status}`);
        done({ code: SUCCESS });
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#onError(error);
        done({ code: FAILED, error });
      })
      .finally(() => this.#inflight.delete(sent));
    this.#inflight.add(sent);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.#inflight);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}
