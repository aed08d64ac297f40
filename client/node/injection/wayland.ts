/**
 * Wayland has no XTEST: a client cannot inject keys into other clients. Two tools work anyway: wtype, through
 * the virtual-keyboard protocol (wlroots compositors: Sway, Hyprland, …), and ydotool, through the kernel's
 * uinput (any compositor, GNOME and KDE included; needs its ydotoold daemon and access to /dev/uinput).
 */
import { runProgram, type Runner } from './exec.ts';
import type { TextInjector } from './types.ts';

export class WtypeInjector implements TextInjector {
  readonly name = 'wtype';
  readonly #run: Runner;

  constructor(run: Runner = runProgram) {
    this.#run = run;
  }

  async type(text: string): Promise<void> {
    if (text) await this.#run('wtype', ['--', text]);
  }

  async backspace(count: number): Promise<void> {
    if (count > 0) await this.#run('wtype', Array.from({ length: count }, () => ['-k', 'BackSpace']).flat());
  }
}

/** Linux input event code of Backspace (KEY_BACKSPACE): ydotool speaks keycodes, not keysyms. */
const KEY_BACKSPACE = 14;
/** ydotool's key command takes a bounded argument list; long undos go in batches. */
const BATCH = 200;

export class YdotoolInjector implements TextInjector {
  readonly name = 'ydotool';
  readonly #run: Runner;

  constructor(run: Runner = runProgram) {
    this.#run = run;
  }

  async type(text: string): Promise<void> {
    if (text) await this.#run('ydotool', ['type', '--', text]);
  }

  async backspace(count: number): Promise<void> {
    for (let left = count; left > 0; left -= BATCH) {
      const presses = Array.from({ length: Math.min(BATCH, left) }, () => [
        `${KEY_BACKSPACE}:1`,
        `${KEY_BACKSPACE}:0`,
      ]).flat();
      await this.#run('ydotool', ['key', ...presses]);
    }
  }
}
