/**
 * The edge conformance suite (test/support/conformance.ts) against the Workers edge: `wrangler dev` (local workerd,
 * offline) in front of a Node edge in its origin role with real engines.
 */
import { randomBytes } from 'node:crypto';
import { CONFORMANCE_ENV, conformanceSuite } from '../support/conformance.ts';
import { startTestServer } from '../support/server.ts';
import { startWorkersDev } from '../support/workers.ts';

const SECRET = randomBytes(32).toString('hex');

conformanceSuite('Workers (wrangler dev)', async () => {
  const origin = await startTestServer({ EARSHOT_ORIGIN_SECRET: SECRET });
  try {
    const workers = await startWorkersDev({
      ...CONFORMANCE_ENV,
      EARSHOT_ORIGIN_URL: origin.server.url,
      EARSHOT_ORIGIN_SECRET: SECRET,
    });
    return {
      url: workers.url,
      stop: async () => {
        if (process.env.EARSHOT_TEST_DEBUG) process.stderr.write(workers.output.join(''));
        await workers.stop();
        await origin.close(0);
      },
    };
  } catch (err) {
    await origin.close(0);
    throw err;
  }
});
