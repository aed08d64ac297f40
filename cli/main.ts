/** `earshot <command>`: `all` runs the embedded server; `stream` streams a WAV file to a server. */
import { parseArgs } from 'node:util';
import { CONFIG_FLAGS, ConfigError, loadConfig, SETTINGS } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';

const USAGE = `usage: earshot <command> [options]

commands:
  all                 run the edge, an in-process queue, one STT and one MT runner (the embedded default)
  stream FILE.wav     stream a WAV file to a running server and print captions (see: earshot stream --help)

options for all (each also an environment variable):
${Object.values(SETTINGS)
  .map((s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(30)} ${s.doc} (default ${String(s.default)})`)
  .join('\n')}
`;

async function runAll(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONFIG_FLAGS, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { help: _help, ...flags } = values;
  const config = loadConfig(process.env, flags as Record<string, string>);
  const logger = createLogger(config.logLevel);
  logger.info({ config }, 'configuration');
  const { startEmbedded } = await import('./embedded.ts');
  const embedded = await startEmbedded(config, logger);
  process.stderr.write(`earshot listening on ${embedded.server.url} (ws ${embedded.server.url.replace('http', 'ws')}/v1/realtime)\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'draining');
      embedded.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command = 'all', ...rest] = argv;
  switch (command) {
    case 'all':
      return runAll(rest);
    case 'stream': {
      const { runStream } = await import('./stream.ts');
      return runStream(rest);
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      if (command.startsWith('--')) return runAll(argv);
      process.stderr.write(`earshot: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`earshot: ${err instanceof ConfigError || err instanceof TypeError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
