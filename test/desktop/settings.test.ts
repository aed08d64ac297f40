import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SettingsError, SettingsStore, validateSettings } from '../../desktop/core/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'earshot-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('settings', () => {
  it('has usable defaults', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      serverUrl: 'http://127.0.0.1:8080',
      language: 'en',
      targets: [],
      typing: { mode: 'push-to-talk', spokenPunctuation: true },
      hotkeys: {
        dictate: 'CommandOrControl+Shift+Space',
        undo: 'CommandOrControl+Shift+Backspace',
        overlay: 'CommandOrControl+Shift+O',
      },
      overlay: { visible: false, lines: 2, bounds: null },
    });
  });

  it('keeps valid values, replaces each invalid one by its default and names it', () => {
    const { settings, problems } = validateSettings({
      serverUrl: 'ftp://nope',
      language: 'es',
      targets: ['en', 'not a language'],
      hotkeys: { dictate: 'ctrl+alt+d', undo: 'ctrl+alt+d' },
      overlay: { fontSize: 5000, lines: 3 },
      unknown: 1,
    });
    expect(settings.serverUrl).toBe(DEFAULT_SETTINGS.serverUrl);
    expect(settings.language).toBe('es');
    expect(settings.targets).toEqual([]);
    expect(settings.hotkeys.dictate).toBe('Control+Alt+D');
    expect(settings.hotkeys.undo).toBe(DEFAULT_SETTINGS.hotkeys.undo);
    expect(settings.overlay).toMatchObject({ fontSize: 36, lines: 3 });
    expect(problems.join('\n')).toMatch(/serverUrl: an http/);
    expect(problems.join('\n')).toMatch(/targets\.1: a language code/);
    expect(problems.join('\n')).toMatch(/hotkeys\.undo: Control\+Alt\+D is already the dictate hotkey/);
    expect(problems.join('\n')).toMatch(/overlay\.fontSize/);
  });

  it('loads defaults when the file is missing, reports a damaged file, and persists updates atomically', async () => {
    const file = join(dir, 'a', 'settings.json');
    const store = new SettingsStore(file);
    expect(await store.load()).toEqual([]);
    expect(store.current).toEqual(DEFAULT_SETTINGS);

    const seen: string[] = [];
    store.onChange((s) => seen.push(s.language));
    await store.update({
      language: 'es',
      targets: ['en'],
      typing: { mode: 'toggle' },
      overlay: { bounds: { x: 10, y: 20, width: 800, height: 150 } },
    });
    expect(store.current.typing).toEqual({ mode: 'toggle', spokenPunctuation: true, capitalize: true });
    expect(seen).toEqual(['es']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ language: 'es', overlay: { bounds: { x: 10 } } });
    expect(statSync(file).mode & 0o077).toBe(0); // it can hold a token

    const again = new SettingsStore(file);
    expect(await again.load()).toEqual([]);
    expect(again.current).toEqual(store.current);

    await expect(store.update({ hotkeys: { dictate: 'ctrl+banana' } })).rejects.toThrow(SettingsError);
    await expect(store.update({ hotkeys: { dictate: 'ctrl+banana' } })).rejects.toThrow(
      /hotkeys\.dictate: "ctrl\+banana": unknown key/,
    );
    expect(store.current.language).toBe('es');

    writeFileSync(file, '{ not json');
    const damaged = new SettingsStore(file);
    expect((await damaged.load())[0]).toMatch(/not valid JSON/);
    expect(damaged.current).toEqual(DEFAULT_SETTINGS);
  });

  it('chooses the audio source: the microphone by default, system audio or both when saved, anything else named', async () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ audioSource: 'mic', systemDevice: '' });
    const { settings, problems } = validateSettings({ audioSource: 'speakers', systemDevice: 'CABLE Output' });
    expect(settings).toMatchObject({ audioSource: 'mic', systemDevice: 'CABLE Output' });
    expect(problems.join('\n')).toMatch(/audioSource: /);
    const store = new SettingsStore(join(dir, 'source', 'settings.json'));
    await store.update({ audioSource: 'both' });
    await expect(store.update({ audioSource: 'loud' as never })).rejects.toThrow(SettingsError);
    expect(JSON.parse(readFileSync(store.path, 'utf8')).audioSource).toBe('both');
  });
});
