/**
 * The web client end to end in Debian's Chromium: its fake microphone plays librivox recordings (joined with
 * silence by sox; Chromium loops the file, so the page's ?maxSeconds= stops after one pass), the speaker page streams it through the AudioWorklet to the real server, and a second page on
 * the share link shows the final captions, then their Spanish translation once Spanish is chosen. Screenshots of
 * the speaker page, the watch page and the OBS overlay go to test-artifacts/web/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { LIBRIVOX_DIR } from '../support/librivox.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { joinWithSilence } from '../support/sox.ts';

const ARTIFACTS = 'test-artifacts/web';
const dir = mkdtempSync(join(tmpdir(), 'earshot-web-'));
let wav = '';
const RECORDINGS = ['0880', '0890', '0930'].map(
  (id) => `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-${id}.wav`,
);

let seconds = 0;
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ({ wav, seconds } = joinWithSilence(dir, RECORDINGS));
  server = await startTestServer();
  browser = await launchChromium({ fakeMicWav: wav });
});
afterAll(async () => {
  await browser?.close();
  await server?.close(0);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('web client in Chromium', () => {
  it('streams the fake microphone and shows captions on the speaker page and, in Spanish, on the watch page', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme: 'dark',
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    const speaker = await context.newPage();
    const problems: string[] = [];
    speaker.on('pageerror', (err) => problems.push(err.message));
    await speaker.goto(`${server.server.url}/?maxSeconds=${seconds}&language=en`);
    await speaker.check('#targets input[value="es"]');
    // Partials are best effort (a final may overtake them under load), so record every one the page shows.
    await speaker.evaluate(() => {
      const partial = document.getElementById('partial')!;
      const seen: { text: string; fontStyle: string }[] = ((window as unknown as { __partials: unknown[] }).__partials =
        []) as never;
      new MutationObserver(() => {
        if (!partial.hidden && partial.textContent)
          seen.push({ text: partial.textContent, fontStyle: getComputedStyle(partial).fontStyle });
      }).observe(partial, { attributes: true, childList: true, characterData: true, subtree: true });
    });
    await speaker.click('#toggle');
    await expect.poll(() => speaker.textContent('#status'), { timeout: 15_000 }).toBe('Live');

    // The share link opens the watch page while the session is live.
    const link = await speaker.inputValue('#share-link');
    expect(link).toMatch(/\/watch\/[\w-]+$/);
    await speaker.click('#copy');
    expect(await speaker.evaluate(() => navigator.clipboard.readText())).toBe(link);
    expect(await speaker.textContent('#copy')).toContain('Copied');
    const watcher = await context.newPage();
    watcher.on('pageerror', (err) => problems.push(err.message));
    await watcher.goto(link);
    await expect.poll(() => watcher.textContent('#status'), { timeout: 10_000 }).toBe('Live');

    // While someone speaks, the partial is shown as provisional (grey italics) until its final replaces it.
    await speaker.waitForSelector('.caption-text:has-text("young man")', { timeout: 30_000 });
    await speaker.waitForSelector('#partial:not([hidden])', { timeout: 10_000 }).catch(() => undefined);
    await speaker.screenshot({ path: `${ARTIFACTS}/speaker-live.png` });

    // The finals, each with its translation under it on the speaker page; then the session finishes.
    await speaker.waitForSelector('.caption-text:has-text("amiable")', { timeout: 40_000 });
    await expect.poll(() => speaker.textContent('#status'), { timeout: 30_000 }).toBe('Done');
    const partials = await speaker.evaluate(
      () => (window as unknown as { __partials: { text: string; fontStyle: string }[] }).__partials,
    );
    expect(partials.length).toBeGreaterThan(0);
    expect(new Set(partials.map((p) => p.fontStyle))).toEqual(new Set(['italic']));
    expect(await speaker.isHidden('#partial')).toBe(true); // every partial was replaced by its final
    expect(await speaker.$$eval('.caption', (items) => items.length)).toBe(3);
    expect(await speaker.$$eval('.caption .subs li[lang="es"]', (items) => items.length)).toBe(3);
    const spanish = (await speaker.textContent('.caption:first-child .subs li[lang="es"]'))!
      .replace(/^\s*es\s*/, '')
      .trim();
    await speaker.screenshot({ path: `${ARTIFACTS}/speaker.png`, fullPage: true });

    await watcher.waitForSelector('.caption-text:has-text("young man")');
    expect(await watcher.$$eval('#lang option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([
      'en',
      'es',
    ]);
    await watcher.selectOption('#lang', 'es');
    await watcher.waitForSelector(`.caption-text[lang="es"]:has-text(${JSON.stringify(spanish)})`);
    expect(watcher.url()).toContain('lang=es');
    await expect.poll(() => watcher.textContent('#status')).toBe('Ended');
    await watcher.screenshot({ path: `${ARTIFACTS}/watch-es.png` });

    // The overlay: transparent, large type, Spanish; composited over a stand-in video frame for the screenshot.
    const overlayContext = await browser.newContext({ viewport: { width: 1280, height: 720 }, bypassCSP: true });
    const overlay = await overlayContext.newPage();
    await overlay.goto(`${link}?overlay=1&lang=es&size=52&lines=2&color=ffffff`);
    await overlay.waitForSelector('.caption-text[lang="es"]');
    expect(await overlay.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgba(0, 0, 0, 0)');
    expect(await overlay.evaluate(() => getComputedStyle(document.querySelector('.screen')!).fontSize)).toBe('52px');
    expect(await overlay.isVisible('.bar')).toBe(false);
    await overlay.screenshot({ path: `${ARTIFACTS}/overlay-transparent.png`, omitBackground: true });
    await overlay.addStyleTag({
      content: 'html.overlay { background: linear-gradient(135deg, #35505f, #8a6d4c 60%, #c9b27c) !important; }',
    });
    await overlay.screenshot({ path: `${ARTIFACTS}/overlay-over-video.png` });

    // The light theme, for a look at both schemes.
    await watcher.emulateMedia({ colorScheme: 'light' });
    await watcher.screenshot({ path: `${ARTIFACTS}/watch-es-light.png` });
    expect(problems).toEqual([]);
    await overlayContext.close();
    await context.close();
  }, 120_000);
});
