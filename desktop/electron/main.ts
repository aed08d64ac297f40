/**
 * earshot desktop, the Electron main process: a tray app with a global hotkey for voice typing (push-to-talk or
 * toggle) and a click-through subtitle overlay. This file only wires the parts together; the behaviour lives in
 * desktop/core/ (settings, hotkeys, key state) and client/node/ (voice typing, injection), tested in Node.
 * Built by desktop/build.mjs into desktop/dist/main.cjs; run with `electron desktop/dist/main.cjs`.
 */
import { app, clipboard, ipcMain, Notification } from 'electron';
import { join } from 'node:path';
import { captureCommands } from '../../client/node/capture/source.ts';
import { onPath } from '../../shared/node/executables.ts';
import { watchPageUrl } from '../../client/node/connection.ts';
import { chooseInjector, createInjector } from '../../client/node/injection/select.ts';
import type { TextInjector } from '../../client/node/injection/types.ts';
import { openKeyState } from '../core/key-state.ts';
import { SettingsError, SettingsStore, type Settings, type SettingsPatch } from '../core/settings.ts';
import { micDictations } from '../../client/node/typing/dictation.ts';
import { VoiceTyping, type Dictation } from '../../client/node/typing/voice-typing.ts';
import { IPC, type OverlayConfig, type SaveResult } from './ipc.ts';
import { OverlayWindow } from './overlay-window.ts';
import { SettingsWindow } from './settings-window.ts';
import { Shortcuts } from './shortcuts.ts';
import { AppTray } from './tray.ts';

const DIST = __dirname;
const ASSETS = join(__dirname, '..', 'assets');

function notify(body: string): void {
  if (Notification.isSupported()) new Notification({ title: 'earshot', body }).show();
  else console.warn(`earshot: ${body}`);
}

const overlayConfig = (s: Settings): OverlayConfig => ({
  fontSize: s.overlay.fontSize,
  lines: s.overlay.lines,
  lang: s.overlay.lang,
  showPartials: s.overlay.showPartials,
});

async function start(): Promise<void> {
  const store = new SettingsStore(join(app.getPath('userData'), 'settings.json'));
  for (const problem of await store.load()) notify(`settings: ${problem}`);
  const settings = () => store.current;

  const overlay = new OverlayWindow({
    dist: DIST,
    config: overlayConfig(settings()),
    bounds: settings().overlay.bounds,
    saveBounds: (bounds) => void store.update({ overlay: { bounds } }).catch(() => undefined),
  });
  const settingsWindow = new SettingsWindow(DIST);
  const shortcuts = new Shortcuts(openKeyState(process.platform, process.env));
  let subtitles: Dictation | null = null;
  let shareUrl: string | null = null;

  // Each dictation reads the settings of the moment it starts: a change applies from the next one.
  const dictations = () => {
    const s = settings();
    const recorder = captureCommands({
      source: s.audioSource,
      recorder: s.recorder || process.env.EARSHOT_RECORDER,
      device: s.microphone,
      systemDevice: s.systemDevice,
      systemRecorder: process.env.EARSHOT_SYSTEM_RECORDER,
      has: (p) => onPath(p),
    });
    return micDictations({
      serverUrl: s.serverUrl,
      token: s.token,
      language: s.language,
      targets: s.targets,
      recorder,
      onEvent: (event) => {
        overlay.caption(event);
        if (event.type === 'ready') shareUrl = watchPageUrl(s.serverUrl, event.session);
      },
    })();
  };

  let injector: TextInjector | null = null;
  try {
    injector = createInjector(chooseInjector({ platform: process.platform, env: process.env, has: (p) => onPath(p) }));
  } catch (err) {
    notify(`voice typing is unavailable: ${(err as Error).message}`);
  }
  const effectiveMode = () => (shortcuts.canHold ? settings().typing.mode : 'toggle');
  const typing = new VoiceTyping({
    mode: effectiveMode(),
    injector: injector ?? {
      name: 'none',
      type: async () => notify('voice typing is unavailable on this desktop'),
      backspace: async () => undefined,
    },
    start: dictations,
    join: {
      language: settings().language,
      spokenPunctuation: settings().typing.spokenPunctuation,
      capitalize: settings().typing.capitalize,
    },
    onState: () => refreshTray(),
    onError: (err) => notify(err.message),
  });

  const toggleSubtitles = async () => {
    if (subtitles) {
      subtitles.stop();
      subtitles = null;
      return refreshTray();
    }
    try {
      const session = await dictations();
      subtitles = session;
      overlay.show();
      refreshTray();
      for await (const _event of session.events); // the overlay is fed through onEvent
    } catch (err) {
      notify(`live subtitles stopped: ${(err as Error).message}`);
    } finally {
      subtitles = null;
      shareUrl = null;
      refreshTray();
    }
  };

  /** Shown or hidden from the tray or the hotkey; remembered for the next start. */
  const toggleOverlay = () => {
    overlay.toggle();
    refreshTray();
    void store.update({ overlay: { visible: overlay.visible } }).catch(() => undefined);
  };

  const tray = new AppTray(ASSETS, {
    toggleDictation: () => typing.toggle(),
    setMode: (mode) => void store.update({ typing: { mode } }).catch((err: Error) => notify(err.message)),
    undo: () => void typing.undo(),
    toggleOverlay: () => toggleOverlay(),
    toggleSubtitles: () => void toggleSubtitles(),
    copyShareLink: () => {
      if (shareUrl) clipboard.writeText(shareUrl);
    },
    openSettings: () => settingsWindow.open(),
    quit: () => app.quit(),
  });
  function refreshTray(): void {
    const s = settings();
    tray.update({
      typing: typing.state,
      mode: effectiveMode(),
      canHold: shortcuts.canHold,
      dictateHotkey: s.hotkeys.dictate,
      overlayVisible: overlay.visible,
      subtitles: subtitles !== null,
      shareUrl,
    });
  }

  let registered = '';
  const applySettings = (s: Settings) => {
    typing.mode = effectiveMode();
    typing.setJoinOptions({
      language: s.language,
      spokenPunctuation: s.typing.spokenPunctuation,
      capitalize: s.typing.capitalize,
    });
    overlay.configure(overlayConfig(s));
    refreshTray();
    // Settings also change when the overlay is moved; hotkeys are re-registered only when they changed.
    const wanted = JSON.stringify([s.hotkeys, effectiveMode()]);
    if (wanted === registered) return;
    registered = wanted;
    const failed = shortcuts.apply(s.hotkeys, effectiveMode() === 'push-to-talk', {
      dictatePress: () => typing.press(),
      dictateRelease: () => typing.release(),
      undo: () => void typing.undo(),
      toggleOverlay: () => toggleOverlay(),
    });
    for (const message of failed) notify(message);
  };
  store.onChange(applySettings);
  applySettings(settings());
  if (!shortcuts.canHold && settings().typing.mode === 'push-to-talk')
    notify(
      'push-to-talk needs key release events, which Wayland does not give apps: the hotkey toggles dictation instead',
    );
  if (settings().overlay.visible) overlay.show();

  ipcMain.handle(IPC.getSettings, () => settings());
  ipcMain.handle(IPC.saveSettings, async (_event, patch: unknown): Promise<SaveResult> => {
    if (!patch || typeof patch !== 'object') return { ok: false, error: 'settings: expected an object' };
    try {
      return { ok: true, settings: await store.update(patch as SettingsPatch) };
    } catch (err) {
      if (err instanceof SettingsError) return { ok: false, error: err.message };
      throw err;
    }
  });

  app.on('will-quit', () => {
    shortcuts.dispose();
    overlay.close();
    subtitles?.stop();
    tray.destroy();
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit(); // one tray icon and one set of global hotkeys per user
} else {
  // A tray app: closing its windows must not quit it.
  app.on('window-all-closed', () => undefined);
  app.whenReady().then(start, (err: unknown) => {
    console.error(err);
    app.exit(1);
  });
}
