/** `/health` (liveness) and `/health/full` (each component's state; 503 when one is down). */
import type { Hono } from 'hono';

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
