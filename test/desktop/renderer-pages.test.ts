/**
 * The desktop app's pages (built by desktop/build.mjs) in Chromium, with `window.earshot` supplied the way the
 * preload would: the overlay shows captions it is sent (in the configured language), the settings page shows and
 * saves settings and displays validation errors. Screenshots go to test-artifacts/desktop/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesktop } from '../../desktop/build.mjs';
import { DEFAULT_SETTINGS } from '../../desktop/core/settings.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';

const dist = resolve(`test-artifacts/desktop/pages-${process.pid}`);
let browser: Browser;

beforeAll(async () => {
  mkdirSync('test-artifacts/desktop', { recursive: true });
  await buildDesktop(dist);
  if (hasChromium) browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dist, { recursive: true, force: true });
});

/** A stand-in for the preload's API; the test drives it through window.__emit / reads window.__saved. */
const FAKE_API = (settings: unknown) => `
  window.__listeners = { caption: [], config: [] };
  window.__emit = (kind, value) => window.__listeners[kind].forEach((l) => l(value));
  window.__saved = [];
  window.earshot = {
    onCaption: (l) => (window.__listeners.caption.push(l), () => {}),
    onOverlayConfig: (l) => (window.__listeners.config.push(l), () => {}),
    setClickThrough: () => {},
    getSettings: async () => (${JSON.stringify(settings)}),
    saveSettings: async (patch) => {
      window.__saved.push(patch);
      return patch.hotkeys.dictate === 'ctrl+banana' ? { ok: false, error: 'hotkeys.dictate: "ctrl+banana": unknown key "banana"' } : { ok: true, settings: ${JSON.stringify(settings)} };
    },
  };`;

describe.skipIf(!hasChromium)('desktop pages', () => {
  it('overlay: shows the latest captions, translated when configured, over a transparent window', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 180 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(FAKE_API(DEFAULT_SETTINGS));
    await page.goto(pathToFileURL(`${dist}/overlay.html`).href);
    await page.evaluate(() => {
      const w = window as unknown as { __emit(kind: string, value: unknown): void };
      w.__emit('config', { fontSize: 40, lines: 2, lang: 'es', showPartials: true });
      w.__emit('caption', { type: 'ready', session: 's', protocol: 1, targets: ['es'] });
      w.__emit('caption', { type: 'final', seq: 1, text: 'he was not an ill disposed young man', start: 0, end: 3 });
      w.__emit('caption', { type: 'translation', seq: 1, lang: 'es', text: 'No era un joven mal dispuesto' });
      w.__emit('caption', {
        type: 'final',
        seq: 2,
        text: 'he might even have been made amiable himself',
        start: 4,
        end: 6,
      });
    });
    await page.waitForSelector('.caption-text:has-text("No era un joven mal dispuesto")');
    expect(await page.textContent('.caption:last-child .caption-text')).toBe(
      'he might even have been made amiable himself',
    );
    expect(await page.$eval('.caption:last-child', (el) => el.classList.contains('pending'))).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgba(0, 0, 0, 0)');
    await page.screenshot({ path: 'test-artifacts/desktop/overlay.png', omitBackground: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('settings: shows the current settings, saves edits and shows validation errors', async () => {
    const page = await browser.newPage({ viewport: { width: 560, height: 1180 } });
    await page.addInitScript(FAKE_API({ ...DEFAULT_SETTINGS, targets: ['es', 'fr'] }));
    await page.goto(pathToFileURL(`${dist}/settings.html`).href);
    await expect.poll(() => page.inputValue('input[name="targets"]')).toBe('es, fr');
    expect(await page.inputValue('input[name="dictate"]')).toBe('CommandOrControl+Shift+Space');
    await page.fill('input[name="dictate"]', 'ctrl+banana');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('#result')).toContain('unknown key "banana"');
    await page.screenshot({ path: 'test-artifacts/desktop/settings.png', fullPage: true });
    await page.fill('input[name="dictate"]', 'F9');
    await page.check('input[value="toggle"]');
    expect(await page.inputValue('select[name="audioSource"]')).toBe('mic');
    await page.selectOption('select[name="audioSource"]', 'both');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('#result')).toBe('Saved.');
    const saved = await page.evaluate(() =>
      (
        window as unknown as {
          __saved: { hotkeys: { dictate: string }; typing: { mode: string }; targets: string[] }[];
        }
      ).__saved.at(-1),
    );
    expect(saved).toMatchObject({
      hotkeys: { dictate: 'F9' },
      typing: { mode: 'toggle' },
      targets: ['es', 'fr'],
      audioSource: 'both',
    });
    await page.close();
  });
});
