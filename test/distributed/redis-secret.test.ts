/**
 * Runners and edges meet only in Redis, so Redis's password is the secret of the runner↔edge link: a runner
 * without it cannot join a deployment (no heartbeat, no jobs), one with it can.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, waitForRunners } from '../support/cluster.ts';
import { TestRedis } from '../support/redis-server.ts';

let redis: TestRedis;
const clusters: Cluster[] = [];
afterAll(async () => {
  for (const c of clusters) await c.stopAll();
  await redis?.stop();
});

describe('the runner↔edge link needs the Redis secret', { timeout: 90_000 }, () => {
  it('a runner without the password never joins; with it, it does', async () => {
    redis = await TestRedis.start({ password: 'a-long-redis-secret-for-this-test' });
    const deployment = new Cluster(redis.url);
    clusters.push(deployment);
    const edge = await deployment.edge();

    const intruder = new Cluster(redis.url.replace(/:[^:@/]+@/, ''), {}, deployment.prefix);
    clusters.push(intruder);
    const stranger = await intruder.runner('stt');
    await new Promise((r) => setTimeout(r, 5000));
    const seen = (await (await fetch(`${edge.url}/health/full`)).json()) as {
      components: { runners: { stt: unknown[] } };
    };
    expect(seen.components.runners.stt).toHaveLength(0);
    const strangerHealth = (await (await fetch(`${stranger.url}/health/full`)).json()) as {
      components: { queue: { status: string } };
    };
    expect(strangerHealth.components.queue.status).toBe('down');

    await deployment.runner('stt');
    await waitForRunners(edge.url, { stt: 1, mt: 0 });
  });
});
