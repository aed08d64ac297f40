/**
 * Process configuration, parsed once from environment and command-line flags into a frozen, typed object.
 * Invalid values stop the process with a message naming the variable. Flags override environment variables.
 */
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** One row per setting: the source of the configuration table in README.md. */
export const SETTINGS = {
  host: { env: 'HOST', flag: 'host', schema: z.string().min(1), default: '127.0.0.1', doc: 'Address the edge listens on' },
  port: { env: 'PORT', flag: 'port', schema: int(0, 65535), default: 8080, doc: 'Port the edge listens on (0 picks a free one)' },
  stt: { env: 'EARSHOT_STT', flag: 'stt', schema: z.enum(['sphinx']), default: 'sphinx', doc: 'Speech-to-text engine' },
  mt: { env: 'EARSHOT_MT', flag: 'mt', schema: z.enum(['apertium', 'none']), default: 'apertium', doc: 'Translation engine (`none` disables translation)' },
  logLevel: { env: 'LOG_LEVEL', flag: 'log-level', schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), default: 'info', doc: 'Log level (JSON logs on stderr)' },
  maxFrameBytes: { env: 'EARSHOT_MAX_FRAME_BYTES', flag: 'max-frame-bytes', schema: int(320, 64 * 1024 * 1024), default: 1024 * 1024, doc: 'Largest audio frame accepted; larger frames get a `frame_too_large` error' },
  maxSessionSeconds: { env: 'EARSHOT_MAX_SESSION_SECONDS', flag: 'max-session-seconds', schema: int(1, 7 * 24 * 3600), default: 4 * 3600, doc: 'Longest session (audio seconds); then `session_too_long` and the session ends' },
  maxSessions: { env: 'EARSHOT_MAX_SESSIONS', flag: 'max-sessions', schema: int(1, 100000), default: 64, doc: 'Concurrent sessions per edge; more are refused with `too_many_sessions`' },
  vadAggressiveness: { env: 'EARSHOT_VAD_AGGRESSIVENESS', flag: 'vad-aggressiveness', schema: int(0, 3), default: 3, doc: 'WebRTC VAD mode, 0 (lenient) to 3 (strict)' },
  vadSilenceMs: { env: 'EARSHOT_VAD_SILENCE_MS', flag: 'vad-silence-ms', schema: int(90, 10000), default: 600, doc: 'Silence that closes an utterance' },
  vadMaxUtteranceMs: { env: 'EARSHOT_VAD_MAX_UTTERANCE_MS', flag: 'vad-max-utterance-ms', schema: int(2000, 60000), default: 15000, doc: 'Longest utterance before a forced split at the quietest point' },
  vadPreRollMs: { env: 'EARSHOT_VAD_PREROLL_MS', flag: 'vad-preroll-ms', schema: int(0, 2000), default: 300, doc: 'Audio kept before speech onset' },
  partialIntervalMs: { env: 'EARSHOT_PARTIAL_INTERVAL_MS', flag: 'partial-interval-ms', schema: int(0, 60000), default: 700, doc: 'Shortest time between partial snapshots of an open utterance (0 = no partials)' },
  sttBatchSize: { env: 'EARSHOT_STT_BATCH', flag: 'stt-batch', schema: int(1, 256), default: 8, doc: 'Most STT jobs a runner takes at once' },
  sttMaxAttempts: { env: 'EARSHOT_STT_ATTEMPTS', flag: 'stt-attempts', schema: int(1, 10), default: 3, doc: 'Attempts per job before its segment is reported as failed' },
  redis: { env: 'REDIS_URL', flag: 'redis', schema: z.union([z.literal(''), z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')]), default: '', doc: 'Redis URL; empty runs the in-process queue (embedded default)' },
  redisPrefix: { env: 'EARSHOT_REDIS_PREFIX', flag: 'redis-prefix', schema: z.string().regex(/^[\w.-]+$/), default: 'earshot', doc: 'Prefix of every Redis key (separates deployments)' },
  jobLockMs: { env: 'EARSHOT_JOB_LOCK_MS', flag: 'job-lock-ms', schema: int(500, 600_000), default: 30_000, doc: "How long a runner's job lock lasts without renewal: the redelivery delay when a runner dies" },
  sessionRetentionSeconds: { env: 'EARSHOT_SESSION_RETENTION_SECONDS', flag: 'session-retention-seconds', schema: int(10, 30 * 24 * 3600), default: 600, doc: 'How long a session can be resumed (and its results read) after its last activity' },
  maxQueueDepth: { env: 'EARSHOT_MAX_QUEUE_DEPTH', flag: 'max-queue-depth', schema: int(1, 1_000_000), default: 200, doc: 'STT backlog bound: past half of it partials are skipped; past it new sessions are refused (503)' },
  drainMs: { env: 'EARSHOT_DRAIN_MS', flag: 'drain-ms', schema: int(0, 3_600_000), default: 30_000, doc: 'On SIGTERM, how long an edge lets open sessions finish' },
  faultSttFail: { env: 'EARSHOT_FAULT_STT_FAIL', flag: 'fault-stt-fail', schema: z.string(), default: '', doc: 'Fault injection for tests and drills: STT jobs whose id matches this regex fail' },
  sphinxDecoders: { env: 'EARSHOT_SPHINX_DECODERS', flag: 'sphinx-decoders', schema: int(1, 64), default: 2, doc: 'Parallel pocketsphinx decoders per runner' },
} as const;

type Settings = typeof SETTINGS;
export type Config = Readonly<{ [K in keyof Settings]: z.infer<Settings[K]['schema']> }>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses flags (`--port 9000` or `--port=9000`) and environment into a frozen Config. */
export function loadConfig(env: Record<string, string | undefined> = process.env, flags: Record<string, string | undefined> = {}): Config {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = flags[setting.flag] ?? env[setting.env];
    const parsed = (setting.schema as z.ZodType).safeParse(raw === undefined || raw === '' ? setting.default : raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]?.message ?? 'invalid';
      throw new ConfigError(`invalid ${setting.env} / --${setting.flag}=${JSON.stringify(raw)}: ${issue}`);
    }
    out[key] = parsed.data;
  }
  return Object.freeze(out) as Config;
}

/** Flags this module knows, for parseArgs. */
export const CONFIG_FLAGS: Record<string, { type: 'string' }> = Object.fromEntries(
  Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
);
