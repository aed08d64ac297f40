import { describe, expect, it } from 'vitest';
import { normalizeHotkey, parseHotkey, resolveModifiers } from '../../desktop/core/hotkeys.ts';

describe('hotkeys', () => {
  it('normalises what people write into Electron accelerators', () => {
    expect(normalizeHotkey('ctrl+shift+space')).toBe('Control+Shift+Space');
    expect(normalizeHotkey('Shift + CmdOrCtrl + d')).toBe('CommandOrControl+Shift+D');
    expect(normalizeHotkey('option+cmd+esc')).toBe('Command+Alt+Escape');
    expect(normalizeHotkey('Super+F5')).toBe('Super+F5');
    expect(normalizeHotkey('F9')).toBe('F9');
    expect(normalizeHotkey('ctrl++')).toBe('Control+Plus');
    expect(normalizeHotkey('Alt+/')).toBe('Alt+/');
  });

  it('rejects hotkeys that cannot work, saying why', () => {
    expect(() => parseHotkey('ctrl+shift')).toThrow(/no key/);
    expect(() => parseHotkey('ctrl+a+b')).toThrow(/two keys/);
    expect(() => parseHotkey('ctrl+banana')).toThrow(/unknown key "banana"/);
    expect(() => parseHotkey('space')).toThrow(/needs a modifier/);
    expect(() => parseHotkey('F25')).toThrow(/unknown key/);
  });

  it('resolves CommandOrControl per platform', () => {
    const hotkey = parseHotkey('CmdOrCtrl+Shift+Space');
    expect(resolveModifiers(hotkey, 'linux')).toEqual(['Control', 'Shift']);
    expect(resolveModifiers(hotkey, 'darwin')).toEqual(['Command', 'Shift']);
  });
});
