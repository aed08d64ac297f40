/** Starts the real embedded server (real engines) on a free loopback port for a test file. */
import { loadConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { startEmbedded, type Embedded } from '../../cli/embedded.ts';

export async function startTestServer(env: Record<string, string> = {}): Promise<Embedded & { wsUrl: string }> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env });
  const embedded = await startEmbedded(config, silentLogger);
  return Object.assign(embedded, { wsUrl: `${embedded.server.url.replace('http', 'ws')}/v1/realtime` });
}
