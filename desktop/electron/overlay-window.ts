/**
 * The subtitle overlay: a transparent, frameless, always-on-top window that clicks pass through, so it can sit
 * over a video call or a game. Only its drag handle takes the mouse (the renderer reports when the pointer is on
 * it). Position and size are restored (onto a screen that still exists) and saved when a move settles.
 */
import { ipcMain, screen, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import type { ServerEvent } from '../../shared/protocol.ts';
import { BoundsSaver, restoreOverlayBounds, type Rect } from '../core/overlay-bounds.ts';
import { IPC, type OverlayConfig } from './ipc.ts';
import { createSecureWindow } from './secure-window.ts';

export class OverlayWindow {
  #win: BrowserWindow | null = null;
  #config: OverlayConfig;
  readonly #dist: string;
  readonly #saver: BoundsSaver;
  #savedBounds: Rect | null;

  constructor(options: {
    dist: string;
    config: OverlayConfig;
    bounds: Rect | null;
    saveBounds: (bounds: Rect) => void;
  }) {
    this.#dist = options.dist;
    this.#config = options.config;
    this.#savedBounds = options.bounds;
    this.#saver = new BoundsSaver((bounds) => {
      this.#savedBounds = bounds;
      options.saveBounds(bounds);
    });
    ipcMain.on(IPC.setClickThrough, (event, enabled: unknown) => {
      if (this.#win && event.sender === this.#win.webContents) this.#clickThrough(enabled !== false);
    });
  }

  get visible(): boolean {
    return this.#win?.isVisible() ?? false;
  }

  show(): void {
    if (!this.#win) this.#win = this.#create();
    this.#win.showInactive(); // never steal focus from the app being dictated into
  }

  hide(): void {
    this.#saver.flush();
    this.#win?.hide();
  }

  toggle(): boolean {
    if (this.visible) this.hide();
    else this.show();
    return this.visible;
  }

  caption(event: ServerEvent): void {
    this.#win?.webContents.send(IPC.caption, event);
  }

  configure(config: OverlayConfig): void {
    this.#config = config;
    this.#win?.webContents.send(IPC.overlayConfig, config);
  }

  close(): void {
    this.#saver.flush();
    this.#win?.destroy();
    this.#win = null;
  }

  #create(): BrowserWindow {
    const areas = screen.getAllDisplays().map((d) => d.workArea);
    const bounds = restoreOverlayBounds(this.#savedBounds, areas, screen.getPrimaryDisplay().workArea);
    const win = createSecureWindow(
      {
        ...bounds,
        transparent: true,
        backgroundColor: '#00000000',
        frame: false,
        hasShadow: false,
        alwaysOnTop: true,
        skipTaskbar: true,
        focusable: false,
        resizable: true,
        minimizable: false,
        maximizable: false,
        fullscreenable: false,
        show: false,
        title: 'earshot subtitles',
      },
      this.#dist,
    );
    // Above full-screen apps too, and on every virtual desktop.
    win.setAlwaysOnTop(true, 'screen-saver');
    win.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });
    this.#clickThrough(true, win);
    const remember = () => this.#saver.update(win.getBounds());
    win.on('moved', remember);
    win.on('resized', remember);
    win.webContents.on('did-finish-load', () => win.webContents.send(IPC.overlayConfig, this.#config));
    void win.loadFile(join(this.#dist, 'overlay.html'));
    return win;
  }

  #clickThrough(enabled: boolean, win = this.#win): void {
    // `forward` keeps mouse-move events coming while clicks pass through, so the page sees the pointer reach
    // the handle and can ask for the mouse back.
    win?.setIgnoreMouseEvents(enabled, { forward: true });
  }
}
