/** Each platform's injector builds the right command (run through a recording runner), and selection by desktop. */
import { describe, expect, it } from 'vitest';
import { backspaceScript, keystrokeScript } from '../../../client/node/injection/macos.ts';
import { chooseInjector, createInjector } from '../../../client/node/injection/select.ts';
import { keystrokeLength } from '../../../client/node/injection/types.ts';
import { sendKeysEscape, sendKeysScript } from '../../../client/node/injection/windows.ts';

function recorder() {
  const calls: [string, string[]][] = [];
  return { calls, run: async (command: string, args: string[]) => void calls.push([command, args]) };
}

describe('injectors', () => {
  it('xdotool types with modifiers cleared and repeats BackSpace', async () => {
    const r = recorder();
    const x = createInjector('xdotool', r.run);
    await x.type('Hello, world');
    await x.backspace(3);
    expect(r.calls).toEqual([
      ['xdotool', ['type', '--clearmodifiers', '--delay', '4', '--', 'Hello, world']],
      ['xdotool', ['key', '--clearmodifiers', '--delay', '4', '--repeat', '3', 'BackSpace']],
    ]);
  });

  it('wtype and ydotool', async () => {
    const r = recorder();
    await createInjector('wtype', r.run).type('-dash first');
    await createInjector('wtype', r.run).backspace(2);
    await createInjector('ydotool', r.run).backspace(2);
    expect(r.calls).toEqual([
      ['wtype', ['--', '-dash first']],
      ['wtype', ['-k', 'BackSpace', '-k', 'BackSpace']],
      ['ydotool', ['key', '14:1', '14:0', '14:1', '14:0']],
    ]);
  });

  it('SendKeys: special characters typed literally, newlines as Enter, quotes safe in PowerShell', async () => {
    expect(sendKeysEscape('50% (a+b)^2 ~ {x} [y]\nok')).toBe('50{%} {(}a{+}b{)}{^}2 {~} {{}x{}} {[}y{]}{ENTER}ok');
    expect(sendKeysScript("it's")).toContain("SendWait('it''s')");
    const r = recorder();
    await createInjector('sendkeys', r.run).backspace(4);
    const [command, args] = r.calls[0]!;
    expect(command).toBe('powershell.exe');
    expect(Buffer.from(args.at(-1)!, 'base64').toString('utf16le')).toContain("SendWait('{BS 4}')");
  });

  it('osascript: escaped string literals, Return for line breaks, key code 51 for Backspace', () => {
    expect(keystrokeScript('say "hi" \\ there\nnext')).toBe(
      'tell application "System Events"\n  keystroke "say \\"hi\\" \\\\ there"\n  keystroke return\n  keystroke "next"\nend tell',
    );
    expect(backspaceScript(2)).toContain('repeat 2 times\n    key code 51');
  });

  it('counts Backspace presses in characters, not UTF-16 units', () => {
    expect(keystrokeLength('año 🎉')).toBe(5);
  });
});

describe('chooseInjector', () => {
  const has =
    (...programs: string[]) =>
    (p: string) =>
      programs.includes(p);
  it('follows the platform and, on Linux, the session type', () => {
    expect(chooseInjector({ platform: 'win32', env: {}, has: has() })).toBe('sendkeys');
    expect(chooseInjector({ platform: 'darwin', env: {}, has: has() })).toBe('osascript');
    expect(
      chooseInjector({ platform: 'linux', env: { DISPLAY: ':0', XDG_SESSION_TYPE: 'x11' }, has: has('xdotool') }),
    ).toBe('xdotool');
    expect(
      chooseInjector({
        platform: 'linux',
        env: { WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' },
        has: has('xdotool', 'wtype'),
      }),
    ).toBe('wtype');
    expect(chooseInjector({ platform: 'linux', env: { XDG_SESSION_TYPE: 'wayland' }, has: has('ydotool') })).toBe(
      'ydotool',
    );
  });

  it('says what to install, and honours an override', () => {
    expect(() =>
      chooseInjector({ platform: 'linux', env: { XDG_SESSION_TYPE: 'wayland', DISPLAY: ':0' }, has: has('xdotool') }),
    ).toThrow(/wtype .* or ydotool/);
    expect(() => chooseInjector({ platform: 'linux', env: { DISPLAY: ':0' }, has: has() })).toThrow(/needs xdotool/);
    expect(() => chooseInjector({ platform: 'linux', env: {}, has: has('xdotool') })).toThrow(/no graphical session/);
    expect(chooseInjector({ platform: 'linux', env: { EARSHOT_INJECTOR: 'ydotool' }, has: has() })).toBe('ydotool');
    expect(() => chooseInjector({ platform: 'linux', env: {}, has: has() }, 'keyboard')).toThrow(
      /unknown injector "keyboard"/,
    );
  });
});
