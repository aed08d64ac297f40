/**
 * The two ports between edge and runners. Drivers: `memory` (one process, the embedded default) and later `redis`.
 */
import type { MtJob, SessionResult, SttJob } from './jobs.ts';

export interface QueueStats {
  waiting: number;
  active: number;
}

export interface JobQueue<J> {
  add(job: J): Promise<void>;
  /**
   * Waits until at least one job is available (or the signal aborts) and returns up to `max` jobs, most urgent
   * first. The caller owns them until it calls `complete`.
   */
  take(max: number, signal?: AbortSignal): Promise<J[]>;
  complete(jobs: readonly J[]): Promise<void>;
  stats(): QueueStats;
  close(): Promise<void>;
}

export type SttQueue = JobQueue<SttJob>;
export type MtQueue = JobQueue<MtJob>;

export interface LoggedResult {
  /** Position in the session's log, increasing from 1. */
  pos: number;
  result: SessionResult;
}

export interface ResultLog {
  append(session: string, result: SessionResult): Promise<number>;
  /** Delivers every result after `afterPos` (0 = from the start), then new ones as they are appended. */
  subscribe(session: string, afterPos: number, listener: (entry: LoggedResult) => void): () => void;
  /** Forgets a finished session's log. */
  drop(session: string): Promise<void>;
  close(): Promise<void>;
}
