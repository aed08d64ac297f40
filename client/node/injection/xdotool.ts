/**
 * X11 (and XWayland windows): xdotool sends synthetic key events through XTEST to the focused window.
 * `--clearmodifiers` releases keys the user still holds (a push-to-talk chord such as Ctrl+Shift+Space) while
 * typing, so the text is not turned into shortcuts, and restores them afterwards.
 */
import { runProgram, type Runner } from './exec.ts';
import type { TextInjector } from './types.ts';

/** Milliseconds between keystrokes: fast, but slow enough for applications that drop bursts of events. */
const KEY_DELAY_MS = '4';

export class XdotoolInjector implements TextInjector {
  readonly name = 'xdotool';
  readonly #run: Runner;

  constructor(run: Runner = runProgram) {
    this.#run = run;
  }

  async type(text: string): Promise<void> {
    if (!text) return;
    await this.#run('xdotool', ['type', '--clearmodifiers', '--delay', KEY_DELAY_MS, '--', text]);
  }

  async backspace(count: number): Promise<void> {
    if (count <= 0) return;
    await this.#run('xdotool', [
      'key',
      '--clearmodifiers',
      '--delay',
      KEY_DELAY_MS,
      '--repeat',
      String(count),
      'BackSpace',
    ]);
  }
}
