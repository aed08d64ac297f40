/**
 * `EARSHOT_OTEL=console` prints spans with the process's service name (`earshot-<service>`, as README says), not
 * OpenTelemetry's `unknown_service:node`. The SDK's ConsoleSpanExporter writes with console.dir, read here.
 */
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../shared/logger.ts';
import { setupTracing } from '../../../shared/telemetry/setup.ts';

afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
});

describe('console traces', () => {
  it('carry the service name of the process', async () => {
    const printed: unknown[] = [];
    vi.spyOn(console, 'dir').mockImplementation((value) => void printed.push(value));
    const tracing = setupTracing('console', 'earshot-edge', silentLogger);
    trace.getTracer('test').startSpan('session').end();
    await tracing.shutdown();
    const span = printed.find((p) => (p as { name?: string }).name === 'session') as {
      resource: { attributes: Record<string, unknown> };
    };
    expect(span.resource.attributes['service.name']).toBe('earshot-edge');
  });
});
