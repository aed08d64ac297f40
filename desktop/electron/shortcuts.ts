/**
 * Global hotkeys. Electron reports only the press of a global shortcut, so push-to-talk watches the key itself
 * (core/key-state.ts) until it is released. Registration failures (a hotkey another app holds) are returned
 * for the app to tell the user; the other hotkeys still work.
 */
import { globalShortcut } from 'electron';
import { parseHotkey } from '../core/hotkeys.ts';
import { waitForRelease, type KeyState } from '../core/key-state.ts';
import type { Settings } from '../core/settings.ts';

export interface ShortcutActions {
  dictatePress(): void;
  dictateRelease(): void;
  undo(): void;
  toggleOverlay(): void;
}

export class Shortcuts {
  readonly #keyState: KeyState | null;
  #holding = false;

  constructor(keyState: KeyState | null) {
    this.#keyState = keyState;
  }

  /** True when push-to-talk can work here (the key's release is observable). */
  get canHold(): boolean {
    return this.#keyState !== null;
  }

  /** (Re)registers every hotkey; returns a message per hotkey that could not be registered. */
  apply(hotkeys: Settings['hotkeys'], pushToTalk: boolean, actions: ShortcutActions): string[] {
    globalShortcut.unregisterAll();
    const failed: string[] = [];
    const register = (name: string, accelerator: string, action: () => void) => {
      if (!globalShortcut.register(accelerator, action))
        failed.push(`the ${name} hotkey ${accelerator} is taken by another application`);
    };
    const dictate = parseHotkey(hotkeys.dictate);
    register('dictate', hotkeys.dictate, () => {
      actions.dictatePress();
      if (!pushToTalk || !this.#keyState || this.#holding) return; // key repeat while held
      this.#holding = true;
      void waitForRelease(this.#keyState, dictate).then(() => {
        this.#holding = false;
        actions.dictateRelease();
      });
    });
    register('undo', hotkeys.undo, actions.undo);
    register('overlay', hotkeys.overlay, actions.toggleOverlay);
    return failed;
  }

  dispose(): void {
    globalShortcut.unregisterAll();
    this.#keyState?.close();
  }
}
