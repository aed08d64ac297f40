/**
 * Preload (sandboxed, context-isolated): exposes `window.earshot`, a short typed API over fixed IPC channels.
 * Renderers never get ipcRenderer itself, so a compromised page can only do what these functions allow.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC, type EarshotApi, type OverlayConfig, type SaveResult } from './ipc.ts';
import type { ServerEvent } from '../../shared/protocol.ts';
import type { Settings } from '../core/settings.ts';

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const handler = (_event: IpcRendererEvent, value: T) => listener(value);
  ipcRenderer.on(channel, handler);
  return () => void ipcRenderer.removeListener(channel, handler);
}

const api: EarshotApi = {
  onCaption: (listener) => subscribe<ServerEvent>(IPC.caption, listener),
  onOverlayConfig: (listener) => subscribe<OverlayConfig>(IPC.overlayConfig, listener),
  setClickThrough: (enabled) => ipcRenderer.send(IPC.setClickThrough, Boolean(enabled)),
  getSettings: () => ipcRenderer.invoke(IPC.getSettings) as Promise<Settings>,
  saveSettings: (patch) => ipcRenderer.invoke(IPC.saveSettings, patch) as Promise<SaveResult>,
};

contextBridge.exposeInMainWorld('earshot', api);
