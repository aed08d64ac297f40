/**
 * The ports between edge and runners. Drivers: `memory` (one process, the embedded default) and `redis` (BullMQ
 * queues, one Redis Stream per session, session metadata in hashes). Both pass test/shared/queue/contract.ts.
 */
import type { EarshotError } from '../errors.ts';
import type { GlossaryTerm } from '../glossary.ts';
import type { MtJob, SessionResult, SttJob, TtsJob } from './jobs.ts';

export interface QueueStats {
  waiting: number;
  active: number;
  /** Jobs that failed every attempt. */
  dead: number;
}

export interface JobQueue<J> {
  add(job: J): Promise<void>;
  /**
   * Waits until at least one job is available (or the signal aborts) and returns up to `max` jobs, most urgent
   * first. The caller owns them until it calls `complete` or `fail` for each.
   */
  take(max: number, signal?: AbortSignal): Promise<J[]>;
  complete(job: J): Promise<void>;
  /** Records a failed attempt. Resolves true when no attempts are left: the job is now in the dead-letter set. */
  fail(job: J, error: EarshotError): Promise<boolean>;
  stats(): Promise<QueueStats>;
  close(): Promise<void>;
}

export type SttQueue = JobQueue<SttJob>;
export type MtQueue = JobQueue<MtJob>;
export type TtsQueue = JobQueue<TtsJob>;

export interface LoggedResult {
  /** Opaque, increasing position in the session's log ('0' is before the first entry). */
  cursor: string;
  result: SessionResult;
}

export interface ResultLog {
  append(session: string, result: SessionResult): Promise<void>;
  /** Delivers every result after `cursor` ('0' = from the start), then new ones as they are appended. */
  subscribe(session: string, cursor: string, listener: (entry: LoggedResult) => void): () => void;
  /** Entries in the session's log (the Redis Stream length), for metrics. */
  length(session: string): Promise<number>;
  close(): Promise<void>;
}

/** What survives an edge: enough to resume a session on another edge. */
export interface SessionMeta {
  id: string;
  language: string;
  targets: string[];
  /** Utterances enqueued so far: the next segment is `segments + 1`. */
  segments: number;
  /** Seconds of audio secured (enqueued as segments, or judged silence): a resuming client replays from here. */
  audioEnd: number;
  stopped: boolean;
  /** Targets whose translations are spoken (TTS, `start.speak`). */
  speak?: string[];
  /** The session's glossary (with its API key's default merged in), for the jobs of a resumed session. */
  glossary?: GlossaryTerm[];
  /**
   * The tenant: id of the API key that created the session (absent with auth off). Only it (its key or tokens
   * minted by it) may resume, watch or export the session (edge/auth/session-access.ts).
   */
  owner?: string;
  /** The LLM's summary of the session, written when it is done (edge/hooks, `hooks.summary`). */
  summary?: string;
}

export interface SessionStore {
  create(meta: SessionMeta): Promise<void>;
  get(id: string): Promise<SessionMeta | undefined>;
  update(id: string, patch: Partial<Omit<SessionMeta, 'id'>>): Promise<void>;
  close(): Promise<void>;
}

/**
 * One speaker per session: the right to queue a session's audio, held by one connection at a time, in whatever
 * process it is. A lease expires `ttlMs` after its last renewal, so a dead edge's leases free themselves. A
 * connection that wants a held lease leaves a request; the holder learns of it on its next renewal (`yield`),
 * finishes queueing what it has, and releases. Segment numbers (job ids `{session}:{segment}`) are therefore
 * only ever counted by one connection, and a second writer never reuses the first one's.
 */
export interface SpeakerLeases {
  /** Takes the lease for `holder` when it is free (or already its own); otherwise asks the holder to hand it over. */
  acquire(session: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends a held lease: `kept`; `yield` when another connection asked for it; `lost` when it is not ours any more. */
  renew(session: string, holder: string, ttlMs: number): Promise<'kept' | 'yield' | 'lost'>;
  /** Gives the lease up, if `holder` still holds it. */
  release(session: string, holder: string): Promise<void>;
}

/**
 * The streaming lane's routes: one FIFO queue per STT runner, for the sessions bound to it (their partials' new
 * audio and their finals, in order). A runner that dies or drains leaves finals behind; `reclaim` moves them to
 * the shared queue, where any runner decodes them from their start.
 */
export interface StreamRoutes {
  /** Runner `runner`'s queue (made on first use). */
  queue(runner: string): SttQueue;
  /** Runners with a queue here. */
  runners(): Promise<string[]>;
  /** Moves the finals of `runner`'s queue (waiting or held by it) to `to`, drops the rest and the queue; the finals moved. */
  reclaim(runner: string, to: SttQueue): Promise<number>;
  close(): Promise<void>;
}
