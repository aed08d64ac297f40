/**
 * Voice typing: a hotkey starts a dictation (a realtime session on the microphone), and each *final* caption is
 * typed into the focused application. Partials are never typed: they change as the recognizer hears more, and
 * text already typed into another application cannot be taken back reliably. Undo removes the last insertion.
 *
 * Two modes: push-to-talk (dictate while the hotkey is held) and toggle (press to start, press again to stop).
 * Releasing or toggling off stops the microphone; the session still delivers the last utterance, which is typed
 * too. A new dictation may start while the previous one finishes: its text waits until the previous one's is
 * typed, so words come out in the order they were spoken.
 *
 * No sockets, processes or timers of its own: the caller supplies `start` (a dictation) and the injector, so
 * tests drive it with scripted events and a recording injector.
 */
import type { ServerEvent } from '../../../shared/protocol.ts';
import { keystrokeLength, type TextInjector } from '../injection/types.ts';
import { TextJoiner, type JoinOptions } from './text-joiner.ts';

export type TypingMode = 'push-to-talk' | 'toggle';
export type TypingState = 'idle' | 'listening' | 'finishing';

export interface Dictation {
  /** The session's events through `done`; throws if the session fails. */
  events: AsyncIterable<ServerEvent>;
  /** Stops the microphone; the remaining finals still arrive. Idempotent. */
  stop(): void;
}

export interface VoiceTypingOptions {
  start: () => Promise<Dictation>;
  injector: TextInjector;
  mode: TypingMode;
  join?: Partial<JoinOptions>;
  /** After this long without typing, the next dictation starts a new sentence (the caret has likely moved). */
  contextTimeoutMs?: number;
  now?: () => number;
  onState?: (state: TypingState) => void;
  onTyped?: (text: string) => void;
  onError?: (error: Error) => void;
}

interface Insertion {
  typed: string;
  contextBefore: string;
}

export class VoiceTyping {
  readonly #o: VoiceTypingOptions;
  #joiner: TextJoiner;
  #mode: TypingMode;
  #state: TypingState = 'idle';
  /** The dictation the hotkey controls, while listening. */
  #current: { stop(): void } | null = null;
  /** Dictations not yet fully typed (the current one and those finishing). */
  #active = 0;
  /** Typing and undo run one at a time, in order. */
  #typing: Promise<void> = Promise.resolve();
  /** Resolves when every earlier dictation's text has been typed; a new dictation types after it. */
  #lastDictation: Promise<void> = Promise.resolve();
  #history: Insertion[] = [];
  #lastTypedAt = -Infinity;
  #idleWaiters: (() => void)[] = [];

  constructor(options: VoiceTypingOptions) {
    this.#o = options;
    this.#mode = options.mode;
    this.#joiner = new TextJoiner(options.join);
  }

  get state(): TypingState {
    return this.#state;
  }

  get mode(): TypingMode {
    return this.#mode;
  }

  set mode(mode: TypingMode) {
    this.#mode = mode;
  }

  /** New formatting rules (settings changed); what was typed so far still counts for spacing. */
  setJoinOptions(options: Partial<JoinOptions>): void {
    const context = this.#joiner.context;
    this.#joiner = new TextJoiner(options);
    this.#joiner.context = context;
  }

  /** The hotkey went down. */
  press(): void {
    if (this.#mode === 'toggle') return this.toggle();
    if (this.#state !== 'listening') this.#begin(); // key repeat while held changes nothing
  }

  /** The hotkey came up (push-to-talk only; toggle mode ignores it). */
  release(): void {
    if (this.#mode === 'push-to-talk' && this.#state === 'listening') this.#end();
  }

  toggle(): void {
    if (this.#state === 'listening') this.#end();
    else this.#begin();
  }

  /** Removes the last insertion with Backspace; resolves false when there is nothing to undo. */
  undo(): Promise<boolean> {
    const undone = this.#typing.then(async () => {
      const last = this.#history.pop();
      if (!last) return false;
      await this.#o.injector.backspace(keystrokeLength(last.typed));
      this.#joiner.context = last.contextBefore;
      return true;
    });
    this.#typing = undone.then(
      () => undefined,
      (err: unknown) => this.#report(err),
    );
    return undone;
  }

  /** Resolves once no dictation is running and everything has been typed. */
  whenIdle(): Promise<void> {
    if (this.#active === 0 && this.#state === 'idle') return this.#typing;
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve)).then(() => this.#typing);
  }

  #begin(): void {
    const now = (this.#o.now ?? Date.now)();
    if (now - this.#lastTypedAt > (this.#o.contextTimeoutMs ?? 30_000) && this.#active === 0) this.#joiner.reset();
    let stopRequested = false;
    let dictation: Dictation | undefined;
    const handle = {
      stop: () => {
        stopRequested = true;
        dictation?.stop();
      },
    };
    this.#current = handle;
    this.#active += 1;
    this.#setState('listening');
    const previous = this.#lastDictation;
    const finished = (async () => {
      try {
        dictation = await this.#o.start();
        if (stopRequested) dictation.stop(); // released before the session was ready
        await previous; // text of earlier dictations first
        for await (const event of dictation.events) if (event.type === 'final') this.#enqueue(event.text);
      } catch (err) {
        this.#report(err);
      } finally {
        if (this.#current === handle) {
          // It ended by itself (the recorder stopped, the session failed) while the hotkey still held it.
          this.#current = null;
          this.#setState(this.#active > 1 ? 'finishing' : 'idle');
        }
        this.#active -= 1;
        await this.#typing;
        if (this.#active === 0 && this.#state !== 'listening') this.#setState('idle');
        if (this.#active === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
      }
    })();
    this.#lastDictation = finished;
  }

  #end(): void {
    const current = this.#current;
    this.#current = null;
    this.#setState(this.#active > 0 ? 'finishing' : 'idle');
    current?.stop();
  }

  #enqueue(final: string): void {
    this.#typing = this.#typing
      .then(async () => {
        const contextBefore = this.#joiner.context;
        const text = this.#joiner.next(final);
        if (!text) return;
        try {
          await this.#o.injector.type(text);
        } catch (err) {
          this.#joiner.context = contextBefore; // nothing (reliably) typed: the context stays as it was
          throw err;
        }
        this.#history.push({ typed: text, contextBefore });
        if (this.#history.length > 100) this.#history.shift();
        this.#lastTypedAt = (this.#o.now ?? Date.now)();
        this.#o.onTyped?.(text);
      })
      .catch((err: unknown) => this.#report(err));
  }

  #setState(state: TypingState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#o.onState?.(state);
  }

  #report(err: unknown): void {
    this.#o.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}
