/**
 * `earshot type` as a user runs it, on a private X display: the real process records from a fake recorder (sox
 * playing a librivox file), the real server transcribes, and xdotool types the final into the focused textarea of
 * a headful Chromium, read back from the page.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIBRIVOX_DIR, librivoxRecordings } from '../support/librivox.ts';
import { placeBetween, spokenPhrase } from '../support/wake-audio.ts';
import { startTestServer } from '../support/server.ts';
import { canRunXEditor, openXEditor, type XEditor } from '../support/x-editor.ts';

let editor: XEditor;
let server: Awaited<ReturnType<typeof startTestServer>>;
const SOX_AS_MIC = `sox ${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0880.wav -t raw -r 16000 -e signed -b 16 -c 1 -`;

beforeAll(async () => {
  if (!canRunXEditor) return;
  [editor, server] = await Promise.all([openXEditor(), startTestServer()]);
}, 90_000);
afterAll(async () => {
  await editor?.close();
  await server?.close(0);
});

function type(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/earshot.mjs', 'type', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!canRunXEditor)('earshot type', () => {
  it('types the dictated final into the focused X window with xdotool and exits 0', async () => {
    const { code, stderr } = await type(['--delay', '0', '--url', server.wsUrl, '--recorder', SOX_AS_MIC], {
      DISPLAY: editor.display,
      XDG_SESSION_TYPE: 'x11',
      WAYLAND_DISPLAY: undefined,
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('typing with xdotool');
    const text = await editor.text();
    expect(text).toMatch(/^He was not .*young man$/);
    expect(stderr).toContain(`typed ${JSON.stringify(text)}`);
  }, 60_000);

  it('with --wake types only what follows the phrase', async () => {
    // The fake microphone: librivox 0870, "hey earshot" (espeak-ng), then librivox 0880 ("He was not … young man").
    const [first, second] = librivoxRecordings();
    const { pcm } = placeBetween(first!.pcm, spokenPhrase('hey earshot', 'en-us+f3', 170), second!.pcm);
    const raw = join(mkdtempSync(join(tmpdir(), 'earshot-wake-mic-')), 'mic.raw');
    writeFileSync(raw, new Uint8Array(pcm.buffer));
    await editor.page.fill('textarea', '');
    const { code, stderr } = await type(
      ['--delay', '0', '--url', server.wsUrl, '--recorder', `cat ${raw}`, '--wake', 'hey earshot'],
      { DISPLAY: editor.display, XDG_SESSION_TYPE: 'x11', WAYLAND_DISPLAY: undefined },
    );
    expect(code, stderr).toBe(0);
    expect(await editor.text()).toMatch(/^He was not .*young man$/);
  }, 90_000);

  it('explains what is missing when there is no graphical session, and rejects an unknown injector', async () => {
    const headless = await type(['--delay', '0', '--recorder', SOX_AS_MIC], {
      DISPLAY: undefined,
      WAYLAND_DISPLAY: undefined,
      XDG_SESSION_TYPE: undefined,
      EARSHOT_INJECTOR: undefined,
    });
    expect(headless.code).toBe(1);
    expect(headless.stderr).toContain('no graphical session');
    const unknown = await type(['--injector', 'keyboard', '--recorder', SOX_AS_MIC], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown injector "keyboard"');
  });
});
