/**
 * The Electron shell cannot run here (no Electron binary), so its main process is bundled exactly as for
 * Electron (desktop/build.mjs) but with `electron` replaced by a recording fake, and run in Node: the overlay
 * window's options, click-through, the locked-down web preferences, global hotkeys, the tray menu, the settings
 * IPC and the saved overlay position are checked on what it actually does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesktop } from '../../desktop/build.mjs';

interface FakeWindow {
  options: Record<string, any>;
  calls: unknown[][];
  file: string;
  webContents: {
    openHandler: (d: { url: string }) => { action: string };
    sent: [string, unknown][];
    emit(e: string, ...a: unknown[]): void;
  };
  emit(event: string): void;
  setBounds(b: object): void;
  shown: boolean;
}
interface FakeState {
  windows: FakeWindow[];
  shortcuts: Map<string, () => void>;
  handlers: Map<string, (event: unknown, ...args: unknown[]) => unknown>;
  listeners: Map<string, (event: unknown, ...args: unknown[]) => unknown>;
  notifications: string[];
  tray: { menu: { label?: string; click?: () => void; checked?: boolean }[]; tooltip: string };
  app: { emit(event: string): void };
}

const dir = mkdtempSync(join(tmpdir(), 'earshot-electron-'));
// Inside the repository, so the bundle resolves the modules it leaves external (koffi) from node_modules.
const dist = resolve(`test-artifacts/desktop/dist-${process.pid}`);
let fake: FakeState;
const userData = join(dir, 'user-data');

beforeAll(async () => {
  const out = await buildDesktop(dist, { alias: { electron: resolve('test/desktop/fake-electron.cjs') } });
  const require = createRequire(import.meta.url);
  process.env.FAKE_ELECTRON_USER_DATA = userData;
  delete process.env.DISPLAY; // no key state, no injector: the shell must still come up and say so
  require(join(out, 'main.cjs'));
  fake = (globalThis as unknown as { __fakeElectron: FakeState }).__fakeElectron;
  await new Promise((r) => setTimeout(r, 200));
}, 60_000);
afterAll(() => {
  fake?.app.emit('will-quit');
  rmSync(dir, { recursive: true, force: true });
  rmSync(dist, { recursive: true, force: true });
});

describe('Electron shell (main process on a fake electron)', () => {
  it('registers the default global hotkeys and builds the tray menu', () => {
    expect([...fake.shortcuts.keys()]).toEqual([
      'CommandOrControl+Shift+Space',
      'CommandOrControl+Shift+Backspace',
      'CommandOrControl+Shift+O',
    ]);
    expect(fake.tray.menu.map((m) => m.label).filter(Boolean)).toContain('Show subtitle overlay');
    expect(fake.tray.tooltip).toBe('earshot: Ready');
    expect(fake.notifications.join('\n')).toMatch(/voice typing is unavailable: no graphical session/);
  });

  it('opens a transparent, click-through, always-on-top overlay with locked-down web preferences', () => {
    fake.shortcuts.get('CommandOrControl+Shift+O')!();
    const overlay = fake.windows.at(-1)!;
    expect(overlay.options).toMatchObject({
      transparent: true,
      frame: false,
      alwaysOnTop: true,
      focusable: false,
      skipTaskbar: true,
      x: 410,
      y: 798,
      width: 1100,
      height: 180,
    });
    expect(overlay.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    });
    expect(overlay.options.webPreferences.preload).toMatch(/preload\.cjs$/);
    expect(overlay.calls).toContainEqual(['setIgnoreMouseEvents', true, { forward: true }]);
    expect(overlay.calls).toContainEqual(['setAlwaysOnTop', true, 'screen-saver']);
    expect(overlay.file).toMatch(/overlay\.html$/);
    expect(overlay.webContents.openHandler({ url: 'https://example.org' })).toEqual({ action: 'deny' });
    expect(overlay.shown).toBe(true);

    // The handle takes the mouse back; only the overlay's own page may ask.
    fake.listeners.get('earshot:set-click-through')!({ sender: overlay.webContents }, false);
    expect(overlay.calls.at(-1)).toEqual(['setIgnoreMouseEvents', false, { forward: true }]);
    fake.listeners.get('earshot:set-click-through')!({ sender: {} }, true);
    expect(overlay.calls.at(-1)).toEqual(['setIgnoreMouseEvents', false, { forward: true }]);
  });

  it('remembers where the overlay was moved to', async () => {
    const overlay = fake.windows.at(-1)!;
    overlay.setBounds({ x: 300, y: 600, width: 900, height: 150 });
    overlay.emit('moved');
    await new Promise((r) => setTimeout(r, 800));
    const saved = JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'));
    expect(saved.overlay.bounds).toEqual({ x: 300, y: 600, width: 900, height: 150 });
  });

  it('validates settings saved from the settings page and applies new hotkeys', async () => {
    const save = fake.handlers.get('earshot:save-settings')!;
    expect(await save({}, { hotkeys: { dictate: 'ctrl+banana' } })).toEqual({
      ok: false,
      error: expect.stringMatching(/hotkeys\.dictate: .*unknown key "banana"/),
    });
    const saved = (await save({}, { hotkeys: { dictate: 'F9' }, typing: { mode: 'toggle' } })) as { ok: boolean };
    expect(saved.ok).toBe(true);
    expect([...fake.shortcuts.keys()]).toContain('F9');
    expect(await fake.handlers.get('earshot:get-settings')!({})).toMatchObject({
      hotkeys: { dictate: 'F9' },
      typing: { mode: 'toggle' },
    });
    const overlay = fake.windows.at(-1)!;
    expect(overlay.webContents.sent.filter(([c]) => c === 'earshot:overlay-config').length).toBeGreaterThan(0);
  });
});
