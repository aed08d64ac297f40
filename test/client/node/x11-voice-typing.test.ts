/**
 * Voice typing into a real X application: Xvfb runs headful Chromium showing a focused <textarea>; the
 * voice-typing controller dictates librivox recordings through the real server (a `sox … -t raw -` command
 * stands in for the microphone recorder), xdotool types the finals into the window, and the text is read back
 * from the page. Then undo removes the last insertion with real Backspace keystrokes.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../../client/node/injection/exec.ts';
import { XdotoolInjector } from '../../../client/node/injection/xdotool.ts';
import { micDictations } from '../../../client/node/typing/dictation.ts';
import { VoiceTyping } from '../../../client/node/typing/voice-typing.ts';
import { LIBRIVOX_DIR } from '../../support/librivox.ts';
import { startTestServer } from '../../support/server.ts';
import { canRunXEditor, openXEditor, type XEditor } from '../../support/x-editor.ts';

const soxAsMic = (id: string) => ({
  command: 'sox',
  args: [
    `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-${id}.wav`,
    '-t',
    'raw',
    '-r',
    '16000',
    '-e',
    'signed',
    '-b',
    '16',
    '-c',
    '1',
    '-',
  ],
});

let editor: XEditor;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  if (!canRunXEditor) return;
  [editor, server] = await Promise.all([openXEditor(), startTestServer()]);
}, 90_000);
afterAll(async () => {
  await editor?.close();
  await server?.close(0);
});

describe.skipIf(!canRunXEditor)('voice typing into an X11 window through xdotool', () => {
  it('types finals of two dictations into the focused text field, spaced and capitalised; undo removes the last', async () => {
    const injector = new XdotoolInjector((command, args) =>
      runProgram(command, args, { env: { ...process.env, DISPLAY: editor.display } }),
    );
    let recording = '0880';
    const typed: string[] = [];
    const errors: Error[] = [];
    const typing = new VoiceTyping({
      mode: 'toggle',
      injector,
      start: () => micDictations({ serverUrl: server.server.url, language: 'en', recorder: soxAsMic(recording) })(),
      onTyped: (t) => typed.push(t),
      onError: (e) => errors.push(e),
    });

    // The fake recorder ends at the end of its file, which ends the dictation like releasing the hotkey.
    typing.toggle();
    await typing.whenIdle();
    const first = await editor.text();
    expect(first).toMatch(/^He was not an? .*young man$/);

    recording = '0930';
    typing.toggle();
    await typing.whenIdle();
    const both = await editor.text();
    expect(both.startsWith(`${first} `)).toBe(true);
    expect(both).toContain('amiable');
    expect(both).toBe(typed.join(''));
    mkdirSync('test-artifacts/desktop', { recursive: true });
    await editor.page.screenshot({ path: 'test-artifacts/desktop/x11-typed.png' });

    expect(await typing.undo()).toBe(true);
    await expect.poll(() => editor.text()).toBe(first);
    expect(errors).toEqual([]);
  }, 90_000);
});
