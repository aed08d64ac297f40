/** The voice-typing controller with scripted dictations and an injector that records keystrokes. */
import { describe, expect, it } from 'vitest';
import type { TextInjector } from '../../../client/node/injection/types.ts';
import { VoiceTyping, type Dictation, type TypingState } from '../../../client/node/typing/voice-typing.ts';
import type { ServerEvent } from '../../../shared/protocol.ts';

/** A fake text field: typing appends, Backspace removes code points. */
class FakeField implements TextInjector {
  readonly name = 'fake';
  value = '';
  calls: string[] = [];
  async type(text: string) {
    this.calls.push(`type ${JSON.stringify(text)}`);
    this.value += text;
  }
  async backspace(count: number) {
    this.calls.push(`backspace ${count}`);
    this.value = [...this.value].slice(0, -count).join('');
  }
}

/** A dictation whose events the test pushes; `stop()` is recorded, `done` ends it. */
class ScriptedDictation implements Dictation {
  stopped = false;
  #queue: ServerEvent[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  push(...events: ServerEvent[]) {
    this.#queue.push(...events);
    if (events.some((e) => e.type === 'done')) this.#ended = true;
    this.#wake?.();
  }
  stop() {
    this.stopped = true;
  }
  get events(): AsyncIterable<ServerEvent> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = self.#queue.shift();
          if (next) {
            yield next;
            if (next.type === 'done') return;
            continue;
          }
          if (self.#ended) return;
          await new Promise<void>((r) => (self.#wake = r));
        }
      },
    };
  }
}

const final = (seq: number, text: string): ServerEvent => ({ type: 'final', seq, text, start: seq, end: seq + 1 });
const flush = () => new Promise((r) => setTimeout(r, 5));

function setup(mode: 'push-to-talk' | 'toggle') {
  const field = new FakeField();
  const dictations: ScriptedDictation[] = [];
  const states: TypingState[] = [];
  const errors: string[] = [];
  const typing = new VoiceTyping({
    mode,
    injector: field,
    start: async () => {
      const d = new ScriptedDictation();
      dictations.push(d);
      return d;
    },
    onState: (s) => states.push(s),
    onError: (e) => errors.push(e.message),
  });
  return { field, dictations, states, errors, typing };
}

describe('VoiceTyping', () => {
  it('push-to-talk: listens while held, types finals only (with spacing), including the one after release', async () => {
    const { field, dictations, states, typing } = setup('push-to-talk');
    typing.press();
    typing.press(); // key repeat
    await flush();
    expect(dictations).toHaveLength(1);
    const d = dictations[0]!;
    d.push({ type: 'partial', text: 'he was', start: 0 }, final(1, 'he was not an ill disposed young man'), {
      type: 'partial',
      text: 'i',
      start: 2,
    });
    await flush();
    expect(field.value).toBe('He was not an ill disposed young man');
    typing.release();
    expect(d.stopped).toBe(true);
    expect(typing.state).toBe('finishing');
    d.push(final(2, 'i think'), { type: 'done' });
    await typing.whenIdle();
    expect(field.value).toBe('He was not an ill disposed young man I think');
    expect(field.calls.every((c) => !c.includes('he was"'))).toBe(true); // no partial was ever typed
    expect(states).toEqual(['listening', 'finishing', 'idle']);
  });

  it('toggle: a press starts, the next press stops; release does nothing', async () => {
    const { dictations, typing } = setup('toggle');
    typing.press();
    typing.release();
    await flush();
    expect(typing.state).toBe('listening');
    expect(dictations[0]!.stopped).toBe(false);
    typing.press();
    expect(dictations[0]!.stopped).toBe(true);
  });

  it('undo removes the last insertion, then the one before, and the next final joins the text left', async () => {
    const { field, dictations, typing } = setup('toggle');
    typing.toggle();
    await flush();
    dictations[0]!.push(final(1, 'first part'), final(2, 'second part period'));
    await flush();
    expect(field.value).toBe('First part second part.');
    expect(await typing.undo()).toBe(true);
    expect(field.value).toBe('First part');
    dictations[0]!.push(final(3, 'other words'), { type: 'done' });
    await typing.whenIdle();
    expect(field.value).toBe('First part other words');
    expect(await typing.undo()).toBe(true);
    expect(await typing.undo()).toBe(true);
    expect(await typing.undo()).toBe(false);
    expect(field.value).toBe('');
  });

  it('types a new dictation after the previous one finished typing, in spoken order', async () => {
    const { field, dictations, typing } = setup('push-to-talk');
    typing.press();
    await flush();
    typing.release();
    typing.press(); // speaks again before the first dictation's last final arrived
    await flush();
    expect(typing.state).toBe('listening');
    dictations[1]!.push(final(1, 'second'), { type: 'done' });
    await flush();
    expect(field.value).toBe('');
    dictations[0]!.push(final(1, 'first'), { type: 'done' });
    typing.release();
    await typing.whenIdle();
    expect(field.value).toBe('First second');
  });

  it('reports a dictation that cannot start and returns to idle', async () => {
    const field = new FakeField();
    const errors: string[] = [];
    const typing = new VoiceTyping({
      mode: 'toggle',
      injector: field,
      start: () => Promise.reject(new Error('server down')),
      onError: (e) => errors.push(e.message),
    });
    typing.toggle();
    await typing.whenIdle();
    expect(errors).toEqual(['server down']);
    expect(typing.state).toBe('idle');
  });

  it('keeps going when typing fails once, without counting the failed text for undo', async () => {
    const { field, dictations, typing, errors } = setup('toggle');
    let fail = true;
    const type = field.type.bind(field);
    field.type = async (text: string) => {
      if (fail) {
        fail = false;
        throw new Error('xdotool exited 1');
      }
      return type(text);
    };
    typing.toggle();
    await flush();
    dictations[0]!.push(final(1, 'lost'), final(2, 'kept'), { type: 'done' });
    await typing.whenIdle();
    expect(errors).toEqual(['xdotool exited 1']);
    expect(field.value).toBe('Kept');
    expect(await typing.undo()).toBe(true);
    expect(await typing.undo()).toBe(false);
  });
});
