/** The sessions an edge process holds sockets for, for capacity limits, health and graceful shutdown. */
import type { RealtimeSession } from './session.ts';

export class SessionRegistry {
  // Keyed by object: a session's id changes when it resumes an earlier one.
  readonly #sessions = new Set<RealtimeSession>();
  readonly maxSessions: number;

  constructor(maxSessions: number) {
    this.maxSessions = maxSessions;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get full(): boolean {
    return this.#sessions.size >= this.maxSessions;
  }

  add(session: RealtimeSession): void {
    this.#sessions.add(session);
  }

  remove(session: RealtimeSession): void {
    this.#sessions.delete(session);
  }

  values(): IterableIterator<RealtimeSession> {
    return this.#sessions.values();
  }
}
