/**
 * Every earshot window is created here, with the same locked-down web preferences: context isolation, no Node
 * in the page, the sandbox, our preload only; new windows and navigation away from our own pages are refused.
 */
import { BrowserWindow, shell, type BrowserWindowConstructorOptions } from 'electron';
import { join } from 'node:path';

export function createSecureWindow(options: BrowserWindowConstructorOptions, dist: string): BrowserWindow {
  const win = new BrowserWindow({
    ...options,
    webPreferences: {
      preload: join(dist, 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    // Links (e.g. a watch page) open in the user's browser, never as an app window with our preload.
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith('file://')) event.preventDefault();
  });
  return win;
}
