/**
 * Push-to-talk needs the hotkey's *release*, which global shortcut APIs (Electron's globalShortcut included)
 * do not report. So after the press, the key's state is polled from the platform until it is up:
 * XQueryKeymap on X11, GetAsyncKeyState on Windows, CGEventSourceKeyState on macOS — through koffi, so nothing
 * is compiled. Wayland exposes no global key state to clients; there push-to-talk falls back to toggling.
 */
import koffi from 'koffi';
import type { Hotkey } from './hotkeys.ts';

export interface KeyState {
  /** True while the hotkey's (non-modifier) key is held down. */
  isDown(key: string): boolean;
  close(): void;
}

/** X11 keysyms of Electron key names (letters are the lower-case keysym, which maps to the key). */
function x11Keysym(key: string): number | undefined {
  if (/^[A-Z]$/.test(key)) return key.toLowerCase().charCodeAt(0);
  if (/^[0-9]$/.test(key)) return key.charCodeAt(0);
  const f = /^F(\d+)$/.exec(key);
  if (f) return 0xffbe + Number(f[1]) - 1;
  const named: Record<string, number> = {
    Space: 0x20,
    Tab: 0xff09,
    Enter: 0xff0d,
    Escape: 0xff1b,
    Backspace: 0xff08,
    Delete: 0xffff,
    Insert: 0xff63,
    Home: 0xff50,
    End: 0xff57,
    PageUp: 0xff55,
    PageDown: 0xff56,
    Left: 0xff51,
    Up: 0xff52,
    Right: 0xff53,
    Down: 0xff54,
    Pause: 0xff13,
    Scrolllock: 0xff14,
    Capslock: 0xffe5,
    PrintScreen: 0xff61,
    Plus: 0x3d, // "+" is shifted "=" on most layouts
  };
  return named[key] ?? (key.length === 1 ? key.charCodeAt(0) : undefined);
}

/** Windows virtual-key codes. */
function windowsVk(key: string): number | undefined {
  if (/^[A-Z0-9]$/.test(key)) return key.charCodeAt(0);
  const f = /^F(\d+)$/.exec(key);
  if (f) return 0x70 + Number(f[1]) - 1;
  const named: Record<string, number> = {
    Space: 0x20,
    Tab: 0x09,
    Enter: 0x0d,
    Escape: 0x1b,
    Backspace: 0x08,
    Delete: 0x2e,
    Insert: 0x2d,
    Home: 0x24,
    End: 0x23,
    PageUp: 0x21,
    PageDown: 0x22,
    Left: 0x25,
    Up: 0x26,
    Right: 0x27,
    Down: 0x28,
    Pause: 0x13,
    Scrolllock: 0x91,
    Capslock: 0x14,
    PrintScreen: 0x2c,
    Plus: 0xbb,
    ';': 0xba,
    '=': 0xbb,
    ',': 0xbc,
    '-': 0xbd,
    '.': 0xbe,
    '/': 0xbf,
    '`': 0xc0,
    '[': 0xdb,
    '\\': 0xdc,
    ']': 0xdd,
    "'": 0xde,
  };
  return named[key];
}

/** macOS virtual key codes (ANSI layout positions). */
function macKeycode(key: string): number | undefined {
  const letters = "ASDFHGZXCV BQWERYT123465=97-80]OU[IP LJ'K;\\,/NM.";
  const index = letters.indexOf(key);
  if (key.length === 1 && key !== ' ' && index >= 0) return index;
  const fkeys = [
    0x7a, 0x78, 0x63, 0x76, 0x60, 0x61, 0x62, 0x64, 0x65, 0x6d, 0x67, 0x6f, 0x69, 0x6b, 0x71, 0x6a, 0x40, 0x4f, 0x50,
    0x5a,
  ];
  const f = /^F(\d+)$/.exec(key);
  if (f) return fkeys[Number(f[1]) - 1];
  const named: Record<string, number> = {
    Enter: 0x24,
    Tab: 0x30,
    Space: 0x31,
    '`': 0x32,
    Backspace: 0x33,
    Escape: 0x35,
    Home: 0x73,
    PageUp: 0x74,
    Delete: 0x75,
    End: 0x77,
    PageDown: 0x79,
    Left: 0x7b,
    Right: 0x7c,
    Down: 0x7d,
    Up: 0x7e,
    Plus: 0x18,
    Capslock: 0x39,
  };
  return named[key];
}

function x11KeyState(display: string | undefined): KeyState {
  const x11 = koffi.load('libX11.so.6');
  const XOpenDisplay = x11.func('void *XOpenDisplay(const char *name)');
  const XCloseDisplay = x11.func('int XCloseDisplay(void *display)');
  const XKeysymToKeycode = x11.func('uint8_t XKeysymToKeycode(void *display, unsigned long keysym)');
  // A typed array passed for a pointer is the memory itself: the bitmap lands in it.
  const XQueryKeymap = x11.func('int XQueryKeymap(void *display, uint8_t *keys)');
  const dpy: unknown = XOpenDisplay(display ?? null);
  if (!dpy) throw new Error(`cannot open X display ${display ?? '(DISPLAY)'}`);
  return {
    isDown(key) {
      const keysym = x11Keysym(key);
      const code = keysym === undefined ? 0 : (XKeysymToKeycode(dpy, keysym) as number);
      if (!code) return false;
      const keys = new Uint8Array(32);
      XQueryKeymap(dpy, keys);
      return ((keys[code >> 3] ?? 0) & (1 << (code & 7))) !== 0;
    },
    close: () => XCloseDisplay(dpy),
  };
}

function windowsKeyState(): KeyState {
  const GetAsyncKeyState = koffi.load('user32.dll').func('__stdcall', 'GetAsyncKeyState', 'int16_t', ['int']);
  return {
    isDown: (key) => {
      const vk = windowsVk(key);
      return vk !== undefined && ((GetAsyncKeyState(vk) as number) & 0x8000) !== 0;
    },
    close: () => undefined,
  };
}

function macKeyState(): KeyState {
  const cg = koffi.load('/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics');
  const CGEventSourceKeyState = cg.func('bool CGEventSourceKeyState(int stateID, uint16_t key)');
  const COMBINED_SESSION_STATE = 0;
  return {
    isDown: (key) => {
      const code = macKeycode(key);
      return code !== undefined && Boolean(CGEventSourceKeyState(COMBINED_SESSION_STATE, code));
    },
    close: () => undefined,
  };
}

/** The key-state source of this desktop, or null where none exists (Wayland; use toggle mode there). */
export function openKeyState(platform: NodeJS.Platform, env: Record<string, string | undefined>): KeyState | null {
  if (platform === 'win32') return windowsKeyState();
  if (platform === 'darwin') return macKeyState();
  const wayland = env.XDG_SESSION_TYPE === 'wayland' || Boolean(env.WAYLAND_DISPLAY);
  if (wayland || !env.DISPLAY) return null;
  return x11KeyState(env.DISPLAY);
}

/** Resolves once `hotkey`'s key is up (checked every `intervalMs`), or when the signal aborts. */
export async function waitForRelease(
  state: KeyState,
  hotkey: Hotkey,
  options: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const interval = options.intervalMs ?? 25;
  while (!options.signal?.aborted && state.isDown(hotkey.key)) await new Promise((r) => setTimeout(r, interval));
}
