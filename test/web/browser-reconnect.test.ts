/**
 * Lossless reconnect of the web client (protocol v1.1) in Debian's Chromium: the speaker page reaches the real
 * server through a TCP proxy that the test cuts three times while the fake microphone is mid-utterance. The page
 * keeps the audio the server has not acknowledged, resumes the session on a new socket, replays from the server's
 * `resume_from`, and ends with the same captions as an uncut run: each once, in order, with its translation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { LIBRIVOX_DIR } from '../support/librivox.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { joinWithSilence } from '../support/sox.ts';
import { corpusWer } from '../support/wer.ts';

const dir = mkdtempSync(join(tmpdir(), 'earshot-web-reconnect-'));
let wav = '';
const RECORDINGS = ['0880', '0890', '0930'].map(
  (id) => `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-${id}.wav`,
);

let seconds = 0;
let server: Awaited<ReturnType<typeof startTestServer>>;
let proxy: TcpProxy;

beforeAll(async () => {
  ({ wav, seconds } = joinWithSilence(dir, RECORDINGS));
  server = await startTestServer({ EARSHOT_CATCH_UP: 'off' });
  proxy = await startTcpProxy(Number(new URL(server.server.url).port));
});
afterAll(async () => {
  await proxy?.close();
  await server?.close(0);
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  captions: string[];
  spanish: string[];
  statuses: string[];
}

/** One pass of the fake microphone through the speaker page; `during` runs while it is live. */
async function speak(during: (page: Page) => Promise<void>): Promise<Run> {
  // A browser per run: the fake microphone starts its file from the beginning.
  const browser = await launchChromium({ fakeMicWav: wav });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`http://127.0.0.1:${proxy.port}/?maxSeconds=${seconds}&language=en&targets=es`);
    await page.evaluate(() => {
      const status = document.getElementById('status')!;
      const seen: string[] = ((window as unknown as { __statuses: string[] }).__statuses = []);
      new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.click('#toggle');
    await expect.poll(() => page.textContent('#status'), { timeout: 15_000 }).toBe('Live');
    await during(page);
    await expect.poll(() => page.textContent('#status'), { timeout: 90_000 }).toBe('Done');
    expect(problems).toEqual([]);
    return {
      captions: await page.$$eval('.caption-text', (els) => els.map((e) => e.textContent ?? '')),
      spanish: await page.$$eval('.caption .subs li[lang="es"]', (els) => els.map((e) => e.textContent ?? '')),
      statuses: await page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses),
    };
  } finally {
    await browser.close();
  }
}

describe.skipIf(!hasChromium)('web client reconnect in Chromium', () => {
  it('cut three times mid-utterance: the same captions as an uncut run, each once, translated', async () => {
    const uncut = await speak(async () => {});
    expect(uncut.captions).toHaveLength(3);

    const before = proxy.accepted;
    const cut = await speak(async (page) => {
      // Mid-utterance moments of the first, second and third recordings (1 s of lead silence first).
      for (const at of [3, 7.5, 4.5]) {
        await page.waitForTimeout(at * 1000);
        expect(proxy.cut()).toBeGreaterThan(0);
        await expect.poll(() => page.textContent('#status'), { timeout: 15_000 }).toBe('Live');
      }
    });

    expect(cut.statuses).toContain('Reconnecting…');
    expect(proxy.accepted - before).toBeGreaterThanOrEqual(4); // page, first socket, three resumed sockets
    expect(cut.captions).toHaveLength(uncut.captions.length);
    // Resumed segmenters cut where an uninterrupted one does (the VAD resets at utterance ends); a cut inside an
    // utterance may still move its edge by a frame, so allow a word in ten per caption.
    cut.captions.forEach((text, i) =>
      expect(
        corpusWer([{ reference: uncut.captions[i]!, hypothesis: text }]),
        `${text} vs ${uncut.captions[i]}`,
      ).toBeLessThanOrEqual(0.1),
    );
    expect(cut.spanish).toHaveLength(uncut.spanish.length);
  }, 240_000);
});
