/**
 * OpenTelemetry tracing for the edge (Node and Workers) and the runners. Only @opentelemetry/api is imported here:
 * until a tracer provider is registered (shared/telemetry/setup.ts, when EARSHOT_OTEL asks for it) every span is
 * a no-op and no traceparent is produced, so tracing costs nothing by default.
 *
 * Trace context travels inside the work itself — a W3C `traceparent` on jobs and results — not in transport
 * headers: a job may wait in Redis, be redelivered to another runner, or cross a Workers relay's origin socket.
 */
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  isSpanContextValid,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';

export { SpanKind, type Context, type Span } from '@opentelemetry/api';

export const tracer = trace.getTracer('earshot');

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span's context as a W3C traceparent, or undefined when tracing is off (the span records nothing). */
export function traceparentOf(span: Span): string | undefined {
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return undefined;
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A context whose parent is the remote span named by `traceparent`; `fallback` when there is none. */
export function contextFrom(traceparent: string | undefined, fallback: Context = ROOT_CONTEXT): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return fallback;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  const spanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : fallback;
}

/** A link to the span named by `traceparent` (batches link every job they carry). */
export function linkTo(traceparent: string | undefined): Link[] {
  const span = trace.getSpanContext(contextFrom(traceparent));
  return span ? [{ context: span }] : [];
}

/** Context under which child spans of `span` start. */
export function withSpan(span: Span, parent: Context = ROOT_CONTEXT): Context {
  return trace.setSpan(parent, span);
}

/** Ends a span, marking it failed when there is an error. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
