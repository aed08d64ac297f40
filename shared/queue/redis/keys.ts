/** Every Redis key, stream and queue name earshot uses, in one place. `prefix` separates deployments and tests. */
export interface RedisKeys {
  /** BullMQ prefix: queues live under `{bullPrefix}:{queue}:*`. */
  bullPrefix: string;
  sttQueue: string;
  mtQueue: string;
  ttsQueue: string;
  results(session: string): string;
  session(session: string): string;
  /** Latest partial snapshot id per session: older queued snapshots are skipped (latest wins). */
  latestPartial(session: string): string;
  /** The connection that speaks into a session (shared/queue/ports.ts SpeakerLeases), and one waiting for it. */
  speakerLease(session: string): string;
  speakerLeaseRequest(session: string): string;
  runner(role: string, id: string): string;
  runnerPattern: string;
  deadLetters: string;
  /** The streaming lane: runners that have a queue of their own, and the lock of one reclaiming a gone runner's. */
  streamRunners: string;
  streamReclaim(runner: string): string;
  /** Async jobs of the batch API (a BullMQ queue). */
  batchQueue: string;
  /** Requests an API key made in one minute window (auth rate limit). */
  keyRequests(key: string, window: number): string;
  /** Realtime sessions an API key holds: a sorted set of lease ids scored by expiry. */
  keySessions(key: string): string;
}

export function redisKeys(prefix = 'earshot'): RedisKeys {
  return {
    bullPrefix: `${prefix}:bull`,
    sttQueue: 'stt',
    mtQueue: 'mt',
    ttsQueue: 'tts',
    results: (session) => `${prefix}:session:${session}:results`,
    session: (session) => `${prefix}:session:${session}`,
    latestPartial: (session) => `${prefix}:session:${session}:partial`,
    speakerLease: (session) => `${prefix}:session:${session}:speaker`,
    speakerLeaseRequest: (session) => `${prefix}:session:${session}:speaker-request`,
    runner: (role, id) => `${prefix}:runner:${role}:${id}`,
    runnerPattern: `${prefix}:runner:*`,
    deadLetters: `${prefix}:dead-letters`,
    streamRunners: `${prefix}:stream-runners`,
    streamReclaim: (runner) => `${prefix}:stream-reclaim:${runner}`,
    batchQueue: 'batch',
    keyRequests: (key, window) => `${prefix}:auth:${key}:requests:${window}`,
    keySessions: (key) => `${prefix}:auth:${key}:sessions`,
  };
}
