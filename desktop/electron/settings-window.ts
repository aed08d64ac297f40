/** The settings window (one at a time): a normal window on the local settings page. */
import type { BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createSecureWindow } from './secure-window.ts';

export class SettingsWindow {
  #win: BrowserWindow | null = null;
  readonly #dist: string;

  constructor(dist: string) {
    this.#dist = dist;
  }

  open(): void {
    if (this.#win) return this.#win.focus();
    const win = createSecureWindow(
      { width: 560, height: 720, title: 'earshot settings', autoHideMenuBar: true, show: false },
      this.#dist,
    );
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => (this.#win = null));
    void win.loadFile(join(this.#dist, 'settings.html'));
    this.#win = win;
  }
}
