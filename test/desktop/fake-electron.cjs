/**
 * A stand-in for the `electron` module, so the desktop main process (bundled with this aliased in) runs in Node:
 * it records windows, shortcuts, tray menus, IPC handlers and notifications for test/desktop/electron-shell.test.ts.
 */
const { EventEmitter } = require('node:events');

// The bundle carries its own copy of this module: the state the test reads is global.
const state = {
  windows: [],
  shortcuts: new Map(),
  handlers: new Map(),
  listeners: new Map(),
  notifications: [],
  tray: null,
  clipboard: '',
};
globalThis.__fakeElectron = state;

class WebContents extends EventEmitter {
  constructor() {
    super();
    this.sent = [];
    this.openHandler = null;
  }
  send(channel, value) {
    this.sent.push([channel, value]);
  }
  setWindowOpenHandler(handler) {
    this.openHandler = handler;
  }
}

class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    this.bounds = { x: options.x ?? 0, y: options.y ?? 0, width: options.width ?? 800, height: options.height ?? 600 };
    this.calls = [];
    this.shown = false;
    state.windows.push(this);
  }
  setAlwaysOnTop(...args) {
    this.calls.push(['setAlwaysOnTop', ...args]);
  }
  setVisibleOnAllWorkspaces(...args) {
    this.calls.push(['setVisibleOnAllWorkspaces', ...args]);
  }
  setIgnoreMouseEvents(...args) {
    this.calls.push(['setIgnoreMouseEvents', ...args]);
  }
  loadFile(file) {
    this.file = file;
    return Promise.resolve();
  }
  showInactive() {
    this.shown = true;
  }
  show() {
    this.shown = true;
  }
  hide() {
    this.shown = false;
  }
  isVisible() {
    return this.shown;
  }
  focus() {}
  destroy() {
    this.shown = false;
  }
  getBounds() {
    return { ...this.bounds };
  }
  setBounds(b) {
    this.bounds = { ...b };
  }
}

class Tray {
  constructor() {
    state.tray = this;
    this.menu = [];
  }
  setImage() {}
  setToolTip(t) {
    this.tooltip = t;
  }
  setContextMenu(menu) {
    this.menu = menu;
  }
  destroy() {}
}

const app = new EventEmitter();
state.app = app;
Object.assign(app, {
  getPath: () => process.env.FAKE_ELECTRON_USER_DATA,
  requestSingleInstanceLock: () => true,
  whenReady: () => new Promise((resolve) => setImmediate(resolve)),
  quit: () => app.emit('will-quit'),
  exit: () => undefined,
});

module.exports = {
  app,
  BrowserWindow,
  Tray,
  Menu: { buildFromTemplate: (template) => template },
  nativeImage: { createFromPath: (p) => ({ path: p }) },
  Notification: Object.assign(
    function Notification(options) {
      this.show = () => state.notifications.push(options.body);
    },
    { isSupported: () => true },
  ),
  globalShortcut: {
    register: (accelerator, fn) => (state.shortcuts.set(accelerator, fn), true),
    unregisterAll: () => state.shortcuts.clear(),
  },
  ipcMain: {
    handle: (channel, fn) => state.handlers.set(channel, fn),
    on: (channel, fn) => state.listeners.set(channel, fn),
  },
  screen: {
    getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }],
    getPrimaryDisplay: () => ({ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }),
  },
  clipboard: { writeText: (t) => (state.clipboard = t) },
  shell: { openExternal: async () => undefined },
  contextBridge: { exposeInMainWorld: () => undefined },
  ipcRenderer: { on() {}, removeListener() {}, send() {}, invoke: async () => undefined },
};
