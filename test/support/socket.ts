/** A raw WebSocket peer for protocol tests: records every server event and waits for specific ones. */
import WebSocket from 'ws';
import { ServerEvent } from '../../shared/protocol.ts';

export class TestSocket {
  readonly events: ServerEvent[] = [];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | undefined;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('server sent a binary frame');
      this.events.push(ServerEvent.parse(JSON.parse(data.toString())));
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  static open(url: string): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  sendJson(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** Waits for the first event (from `from` on) matching the predicate. */
  async waitFor<T extends ServerEvent['type']>(
    type: T,
    from = 0,
    timeoutMs = 20_000,
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find((e) => e.type === type);
      if (found) return found as Extract<ServerEvent, { type: T }>;
      if (this.closed)
        throw new Error(`socket closed (${this.closed.code}) before "${type}"; got ${JSON.stringify(this.events)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for "${type}"; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.#waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  close(): void {
    this.ws.close();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
