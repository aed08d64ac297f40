/** Push-to-talk release detection on a real X server: xdotool holds and releases keys on a private Xvfb. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHotkey } from '../../desktop/core/hotkeys.ts';
import { openKeyState, waitForRelease, type KeyState } from '../../desktop/core/key-state.ts';
import { hasXvfb, Xvfb } from '../support/xvfb.ts';

let xvfb: Xvfb;
let state: KeyState;

beforeAll(async () => {
  if (!hasXvfb) return;
  xvfb = await Xvfb.start();
  state = openKeyState('linux', { DISPLAY: xvfb.display })!;
});
afterAll(async () => {
  state?.close();
  await xvfb?.stop();
});

describe('key state', () => {
  it('has no key state on Wayland or without a display (push-to-talk falls back to toggle there)', () => {
    expect(openKeyState('linux', { WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' })).toBeNull();
    expect(openKeyState('linux', {})).toBeNull();
  });

  it.skipIf(!hasXvfb)('sees a held key on X11 and resolves when it is released', async () => {
    const hotkey = parseHotkey('Ctrl+Shift+Space');
    expect(state.isDown('Space')).toBe(false);
    xvfb.run('xdotool', ['keydown', 'space']);
    expect(state.isDown('Space')).toBe(true);
    expect(state.isDown('F9')).toBe(false);
    let released = false;
    const waiting = waitForRelease(state, hotkey, { intervalMs: 10 }).then(() => (released = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(released).toBe(false);
    xvfb.run('xdotool', ['keyup', 'space']);
    await waiting;
    expect(released).toBe(true);
    xvfb.run('xdotool', ['keydown', 'F9']);
    expect(state.isDown('F9')).toBe(true);
    xvfb.run('xdotool', ['keyup', 'F9']);
    expect(state.isDown('F9')).toBe(false);
  });
});
