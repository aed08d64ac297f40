/**
 * Hotkeys as people write them ("ctrl+shift+space", "Cmd+Alt+D", "F9") parsed into one canonical form, which is
 * also an Electron accelerator ("CommandOrControl+Shift+Space"). Settings validate with it, so a typo is an error
 * that names the hotkey rather than a shortcut that silently never fires.
 */

export type Modifier = 'CommandOrControl' | 'Control' | 'Command' | 'Alt' | 'Shift' | 'Super';

export interface Hotkey {
  modifiers: Modifier[];
  key: string;
}

export class HotkeyError extends Error {
  override name = 'HotkeyError';
}

const MODIFIERS: Record<string, Modifier> = {
  commandorcontrol: 'CommandOrControl',
  cmdorctrl: 'CommandOrControl',
  ctrl: 'Control',
  control: 'Control',
  cmd: 'Command',
  command: 'Command',
  alt: 'Alt',
  option: 'Alt',
  altgr: 'Alt',
  shift: 'Shift',
  super: 'Super',
  meta: 'Super',
  win: 'Super',
};
/** Canonical order, as Electron documents accelerators. */
const ORDER: Modifier[] = ['CommandOrControl', 'Control', 'Command', 'Alt', 'Shift', 'Super'];

const NAMED_KEYS: Record<string, string> = {
  space: 'Space',
  tab: 'Tab',
  enter: 'Enter',
  return: 'Enter',
  esc: 'Escape',
  escape: 'Escape',
  backspace: 'Backspace',
  delete: 'Delete',
  del: 'Delete',
  insert: 'Insert',
  ins: 'Insert',
  home: 'Home',
  end: 'End',
  pageup: 'PageUp',
  pagedown: 'PageDown',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  capslock: 'Capslock',
  scrolllock: 'Scrolllock',
  pause: 'Pause',
  printscreen: 'PrintScreen',
  plus: 'Plus',
};
const PUNCTUATION = new Set([...",./;'[]\\-=`"]);

/** The key part, canonical, or null when it is not a key Electron can register. */
function canonicalKey(raw: string): string | null {
  const lower = raw.toLowerCase();
  if (NAMED_KEYS[lower]) return NAMED_KEYS[lower]!;
  if (/^f([1-9]|1\d|2[0-4])$/.test(lower)) return lower.toUpperCase();
  if (/^[a-z0-9]$/.test(lower)) return lower.toUpperCase();
  if (raw.length === 1 && PUNCTUATION.has(raw)) return raw;
  return null;
}

export function parseHotkey(text: string): Hotkey {
  // "Ctrl++" means Ctrl and the plus key.
  const parts = text
    .trim()
    .replace(/\+\s*\+$/, '+Plus')
    .split('+')
    .map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new HotkeyError(`"${text}" is not a hotkey: empty part`);
  const modifiers = new Set<Modifier>();
  let key: string | null = null;
  for (const part of parts) {
    const modifier = MODIFIERS[part.toLowerCase()];
    if (modifier) {
      modifiers.add(modifier);
      continue;
    }
    if (key !== null)
      throw new HotkeyError(`"${text}" has two keys (${key} and ${part}); a hotkey is modifiers and one key`);
    key = canonicalKey(part);
    if (key === null) throw new HotkeyError(`"${text}": unknown key "${part}"`);
  }
  if (key === null) throw new HotkeyError(`"${text}" has no key, only modifiers`);
  // A global hotkey without a modifier would swallow that key in every application; function keys are the
  // exception people expect (F9 for push-to-talk).
  if (modifiers.size === 0 && !/^F\d+$/.test(key) && key !== 'Pause' && key !== 'Scrolllock') {
    throw new HotkeyError(`"${text}" needs a modifier (Ctrl, Alt, Shift, Cmd or Super), or use a function key`);
  }
  return { modifiers: ORDER.filter((m) => modifiers.has(m)), key };
}

/** The canonical text, which is also the Electron accelerator. */
export function formatHotkey(hotkey: Hotkey): string {
  return [...hotkey.modifiers, hotkey.key].join('+');
}

/** Parses and formats: "ctrl+shift+space" → "Control+Shift+Space". */
export function normalizeHotkey(text: string): string {
  return formatHotkey(parseHotkey(text));
}

/** What the modifiers mean on this platform, for key-state polling (CommandOrControl is Command on macOS only). */
export function resolveModifiers(hotkey: Hotkey, platform: NodeJS.Platform): Exclude<Modifier, 'CommandOrControl'>[] {
  return [
    ...new Set(
      hotkey.modifiers.map((m) => (m === 'CommandOrControl' ? (platform === 'darwin' ? 'Command' : 'Control') : m)),
    ),
  ];
}
