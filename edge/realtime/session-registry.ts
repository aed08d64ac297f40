/** The sessions an edge process owns, for capacity limits, health and graceful shutdown. */
import type { RealtimeSession } from './session.ts';

export class SessionRegistry {
  readonly #sessions = new Map<string, RealtimeSession>();
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
    this.#sessions.set(session.id, session);
  }

  remove(id: string): void {
    this.#sessions.delete(id);
  }

  values(): IterableIterator<RealtimeSession> {
    return this.#sessions.values();
  }
}
