/** `earshot <command>`: `all` runs the embedded server; `stream` streams a WAV file to a server. */
import { parseArgs } from 'node:util';
import { changedSettings, CONFIG_FLAGS, ConfigError, loadConfig, maskedConfig, SETTINGS } from '../shared/config.ts';
import { createLogger, prettyLogs } from '../shared/logger.ts';
import { startupFailureMessage, unknownOptionMessage } from './startup-errors.ts';

const USAGE = `usage: earshot <command> [options]

commands:
  all                 the embedded default: the edge, the queue, one STT and one MT runner in one process
  edge                an edge only (needs --redis): WebSockets, VAD, sessions; runners do the rest
  runner --role R     a runner only (needs --redis): R is stt, mt or tts (spoken translations)
  stream FILE|-      stream a recording (any format; - for stdin) to a server and print captions (see: earshot stream --help)
  mic                 caption the microphone live in the terminal (see: earshot mic --help)
  type                voice typing: type what you say into the focused application (see: earshot type --help)
  models ACTION       pull NAME [--dtype D] | list | rm NAME: the model dir (see: earshot models --help)
  key --id ID         make an API key: the key for the client, and the hashed record for EARSHOT_API_KEYS_FILE

options (each also an environment variable):
${Object.values(SETTINGS)
  .map((s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(30)} ${s.doc} (default ${String(s.default)})`)
  .join('\n')}
`;

type Service = 'all' | 'edge' | 'runner';

const SERVICE_OPTIONS = { ...CONFIG_FLAGS, role: { type: 'string' }, help: { type: 'boolean' } } as const;

/** Runs a long-lived service until SIGINT/SIGTERM, then shuts it down gracefully (drain). */
async function runService(service: Service, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: SERVICE_OPTIONS, strict: true });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { help: _help, role, ...flags } = values;
  if (service === 'runner' && role !== 'stt' && role !== 'mt' && role !== 'tts')
    throw new ConfigError('earshot runner needs --role stt, --role mt or --role tts');
  const { serviceEnv } = await import('./services.ts');
  let config = loadConfig(serviceEnv(service, role, process.env), flags as Record<string, string>);
  if (service !== 'all' && !config.redis)
    throw new ConfigError(
      `earshot ${service} joins other processes through Redis: pass --redis redis://… or set REDIS_URL`,
    );
  const name = service === 'runner' ? `${role}-runner` : service;
  const logger = createLogger(config.logLevel, 'earshot', config.logFormat).child({ service: name });
  // A person at a terminal reads what was changed; machines get every setting.
  if (prettyLogs(config.logFormat))
    logger.info({ changed: changedSettings(config) }, 'configuration (other settings at their defaults)');
  else logger.info({ config: maskedConfig(config) }, 'configuration');
  if (service !== 'edge') {
    // `auto` engines: decided (and their model fetched) once, before anything listens.
    const { resolveAutoEngines } = await import('../gpu-runners/engines/auto.ts');
    config = await resolveAutoEngines(config, logger, {
      roles: service === 'runner' ? [role as 'stt' | 'mt'] : ['stt', 'mt'],
    });
  }
  const { setupTracing } = await import('../shared/telemetry/setup.ts');
  const tracing = setupTracing(config.otel, `earshot-${name}`, logger);
  const { startService } = await import('./services.ts');
  const running = await startService(service, role as 'stt' | 'mt' | 'tts' | undefined, config, logger);
  process.stderr.write(`earshot ${service}${role ? ` (${role})` : ''} listening on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      running.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush spans'));
  logger.info('stopped');
  // Everything was drained and closed; library timers (metrics, Redis clients) must not keep the process alive.
  process.exit(0);
}

async function main(argv: string[]): Promise<number> {
  const [command = 'all', ...rest] = argv;
  switch (command) {
    case 'all':
    case 'edge':
    case 'runner':
      return runService(command, rest);
    case 'stream': {
      const { runStream } = await import('./stream.ts');
      return runStream(rest);
    }
    case 'models': {
      const { runModels } = await import('./models.ts');
      return runModels(rest);
    }
    case 'key': {
      const { runKey } = await import('./keys.ts');
      return runKey(rest);
    }
    case 'mic': {
      const { runMic } = await import('./mic.ts');
      return runMic(rest);
    }
    case 'type': {
      const { runType } = await import('./type.ts');
      return runType(rest);
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      if (command.startsWith('--')) return runService('all', argv);
      process.stderr.write(`earshot: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A failure to start: one clear message for what the user can fix, the stack for a bug. Exit at once: a service
    // that failed half-way may hold timers and connections open.
    const usage =
      unknownOptionMessage(err, Object.keys(SERVICE_OPTIONS)) ??
      (isParseArgsError(err) ? (err as Error).message : undefined);
    const message = usage ?? startupFailureMessage(err);
    process.stderr.write(`earshot: ${message ?? (err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
    process.exit(usage ? 2 : 1);
  },
);

function isParseArgsError(err: unknown): boolean {
  return String((err as { code?: unknown } | null)?.code ?? '').startsWith('ERR_PARSE_ARGS');
}
