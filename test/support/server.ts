/** Starts the real embedded server (real engines) on a free loopback port for a test file. */
import { loadConfig } from '../../shared/config.ts';
import { silentLogger, type Logger } from '../../shared/logger.ts';
import { startEmbedded, type Embedded } from '../../cli/embedded.ts';

/** `logger`: where the server logs (silent by default), for tests that read its logs. */
export async function startTestServer(
  env: Record<string, string> = {},
  logger: Logger = silentLogger,
): Promise<Embedded & { wsUrl: string }> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env });
  const embedded = await startEmbedded(config, logger);
  return Object.assign(embedded, { wsUrl: `${embedded.server.url.replace('http', 'ws')}/v1/realtime` });
}
