/** The edge conformance suite (test/support/conformance.ts) against the Node edge, in-process with real engines. */
import { CONFORMANCE_ENV, conformanceSuite } from '../support/conformance.ts';
import { startTestServer } from '../support/server.ts';

conformanceSuite('Node', async () => {
  const server = await startTestServer(CONFORMANCE_ENV);
  return { url: server.server.url, stop: () => server.close(0) };
});
