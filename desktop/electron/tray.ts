/** The tray icon and its menu, rebuilt from the app's state whenever it changes. */
import { Menu, nativeImage, Tray } from 'electron';
import { join } from 'node:path';
import type { TypingMode, TypingState } from '../../client/node/typing/voice-typing.ts';

export interface TrayState {
  typing: TypingState;
  mode: TypingMode;
  canHold: boolean;
  dictateHotkey: string;
  overlayVisible: boolean;
  subtitles: boolean;
  shareUrl: string | null;
}

export interface TrayActions {
  toggleDictation(): void;
  setMode(mode: TypingMode): void;
  undo(): void;
  toggleOverlay(): void;
  toggleSubtitles(): void;
  copyShareLink(): void;
  openSettings(): void;
  quit(): void;
}

const LABELS: Record<TypingState, string> = { idle: 'Ready', listening: 'Listening…', finishing: 'Finishing…' };

export class AppTray {
  readonly #tray: Tray;
  readonly #icons: { idle: Electron.NativeImage; listening: Electron.NativeImage };
  readonly #actions: TrayActions;

  constructor(assets: string, actions: TrayActions) {
    this.#icons = {
      idle: nativeImage.createFromPath(join(assets, 'tray-idle.png')),
      listening: nativeImage.createFromPath(join(assets, 'tray-listening.png')),
    };
    this.#actions = actions;
    this.#tray = new Tray(this.#icons.idle);
  }

  update(state: TrayState): void {
    const a = this.#actions;
    const live = state.typing !== 'idle' || state.subtitles;
    this.#tray.setImage(live ? this.#icons.listening : this.#icons.idle);
    this.#tray.setToolTip(`earshot: ${state.subtitles ? 'live subtitles' : LABELS[state.typing]}`);
    this.#tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: `Voice typing: ${LABELS[state.typing]}`, enabled: false },
        {
          label: state.typing === 'listening' ? 'Stop dictation' : 'Start dictation',
          accelerator: state.dictateHotkey,
          click: a.toggleDictation,
        },
        { label: 'Undo last insertion', click: a.undo },
        {
          label: 'Hotkey mode',
          submenu: [
            {
              label: 'Push to talk (hold)',
              type: 'radio',
              checked: state.mode === 'push-to-talk',
              enabled: state.canHold,
              click: () => a.setMode('push-to-talk'),
            },
            {
              label: 'Toggle (press to start and stop)',
              type: 'radio',
              checked: state.mode === 'toggle',
              click: () => a.setMode('toggle'),
            },
          ],
        },
        { type: 'separator' },
        { label: 'Live subtitles', type: 'checkbox', checked: state.subtitles, click: a.toggleSubtitles },
        { label: 'Show subtitle overlay', type: 'checkbox', checked: state.overlayVisible, click: a.toggleOverlay },
        { label: 'Copy link for viewers', enabled: state.shareUrl !== null, click: a.copyShareLink },
        { type: 'separator' },
        { label: 'Settings…', click: a.openSettings },
        { label: 'Quit earshot', role: 'quit', click: a.quit },
      ]),
    );
  }

  destroy(): void {
    this.#tray.destroy();
  }
}
