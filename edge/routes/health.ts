/**
 * `/health` (liveness) and `/health/full` (each component's state; 503 when one is down). Both are open to
 * anyone (probes carry no credentials), so they name no machine: runner ids, which are `<hostname>-<pid>-…`, are
 * shown as `pseudonym`s.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Hono } from 'hono';

// Salted per process: the digest of a guessable hostname and pid cannot be looked up, yet stays stable between
// polls of one process, so an operator can still follow a runner's state over time. Made on first use: Workers
// allow no random values in global scope.
let salt: Uint8Array | undefined;

/** A stable, unguessable stand-in for a runner id in health output (12 hex digits). */
export function pseudonym(id: string): string {
  salt ??= randomBytes(16);
  return createHash('sha256').update(salt).update(id).digest('hex').slice(0, 12);
}

export type ComponentState = { status: 'ok' | 'degraded' | 'down' } & Record<string, unknown>;
export type HealthProbe = () => Promise<Record<string, ComponentState>> | Record<string, ComponentState>;

export function mountHealth(app: Hono, probe: HealthProbe): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/health/full', async (c) => {
    const components = await probe();
    const states = Object.values(components).map((s) => s.status);
    const status = states.includes('down') ? 'down' : states.includes('degraded') ? 'degraded' : 'ok';
    return c.json({ status, components }, status === 'down' ? 503 : 200);
  });
}
