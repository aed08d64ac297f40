/**
 * Limits that keep one hostile or broken client from hurting the others: audio faster than real time beyond a
 * burst, floods of tiny frames, and a send buffer that grows because the client never reads. Pure: the caller
 * passes the clock, so tests need no timers.
 */
import type { ErrorCode } from '../../shared/errors.ts';

export interface ClientLimitOptions {
  /** Sustained audio rate allowed, in multiples of real time. */
  maxAudioRate: number;
  /** Audio seconds a client may send ahead of that rate (a file streamed fast, a reconnect replay). */
  audioBurstSeconds: number;
  /** Sustained binary frames per second, and the burst allowed on top. */
  maxFramesPerSecond: number;
  /** Bytes queued to a client that is not reading before it is disconnected. */
  maxSendBufferBytes: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimitOptions = {
  maxAudioRate: 10,
  audioBurstSeconds: 120,
  maxFramesPerSecond: 500,
  maxSendBufferBytes: 4 * 1024 * 1024,
};

export interface LimitBreach {
  code: ErrorCode;
  message: string;
}

/** A token bucket: `capacity` tokens, refilled at `rate` per second. */
class Bucket {
  #tokens: number;
  #at: number;
  constructor(
    readonly capacity: number,
    readonly rate: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#at = now;
  }
  take(amount: number, now: number): boolean {
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#at) / 1000) * this.rate);
    this.#at = now;
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }
}

export class ClientLimits {
  readonly #o: ClientLimitOptions;
  readonly #audio: Bucket;
  readonly #frames: Bucket;

  constructor(options: ClientLimitOptions, now: number) {
    this.#o = options;
    this.#audio = new Bucket(options.audioBurstSeconds, options.maxAudioRate, now);
    this.#frames = new Bucket(options.maxFramesPerSecond * 2, options.maxFramesPerSecond, now);
  }

  /** Checks one audio frame of `seconds` duration; a breach ends the session. */
  onFrame(seconds: number, now: number): LimitBreach | null {
    if (!this.#frames.take(1, now)) {
      return {
        code: 'rate_limited',
        message: `more than ${this.#o.maxFramesPerSecond} audio frames per second; send larger frames (20–100 ms)`,
      };
    }
    if (!this.#audio.take(seconds, now)) {
      return {
        code: 'rate_limited',
        message: `audio arrives faster than ${this.#o.maxAudioRate}× real time; use the batch API for files`,
      };
    }
    return null;
  }

  onSend(bufferedBytes: number): LimitBreach | null {
    if (bufferedBytes <= this.#o.maxSendBufferBytes) return null;
    return { code: 'slow_consumer', message: `the client is not reading: ${bufferedBytes} bytes queued` };
  }
}
