/**
 * Registers the OpenTelemetry SDK in a Node process when EARSHOT_OTEL asks for it. With `off` nothing is
 * registered and every span in earshot stays a no-op. Contexts are passed explicitly (shared/telemetry/tracing.ts),
 * so no async context manager is needed.
 */
import { trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { OtlpJsonExporter } from './otlp-exporter.ts';

export interface Tracing {
  /** Exports the spans still buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

export function setupTracing(
  mode: Config['otel'],
  serviceName: string,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
): Tracing {
  if (mode === 'off') return { shutdown: async () => undefined };
  let exporter: SpanExporter;
  if (mode === 'console') exporter = new ConsoleSpanExporter();
  else {
    const endpoint =
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.replace(/\/v1\/traces\/?$/, '') ??
      env.OTEL_EXPORTER_OTLP_ENDPOINT ??
      'http://localhost:4318';
    exporter = new OtlpJsonExporter({
      endpoint,
      serviceName,
      onError: (err) => logger.warn({ err: err.message, endpoint }, 'could not export spans'),
    });
  }
  // Every span names its process (`earshot-all`, `earshot-edge`, `earshot-stt-runner`, …), not `unknown_service:node`.
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  logger.info({ exporter: mode }, 'tracing on');
  return { shutdown: () => provider.shutdown() };
}
