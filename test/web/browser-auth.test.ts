/**
 * The web client with auth on, in Debian's Chromium against the real server (EARSHOT_AUTH=on, as on any
 * non-loopback host): the speaker page asks for an API key, refuses to start without one and says why when the key
 * is wrong, exchanges the key for a short-lived token (no request URL and no link carries the key), captions the
 * fake microphone, and its share link's watch token lets a viewer in without any key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import { startTestServer } from '../support/server.ts';
import { LIBRIVOX_DIR } from '../support/librivox.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { joinWithSilence } from '../support/sox.ts';

const dir = mkdtempSync(join(tmpdir(), 'earshot-web-auth-'));
const speakerKey = createApiKey({ id: 'speaker', scopes: ['realtime'] });
let seconds = 0;
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  const mic = joinWithSilence(dir, [`${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0880.wav`]);
  seconds = mic.seconds;
  server = await startTestServer({
    EARSHOT_AUTH: 'on',
    EARSHOT_API_KEYS: JSON.stringify([speakerKey.record]),
    EARSHOT_JWT_SECRET: 'test-secret-that-is-at-least-32-characters',
  });
  browser = await launchChromium({ fakeMicWav: mic.wav });
});
afterAll(async () => {
  await browser?.close();
  await server?.close(0);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('web client with auth on', () => {
  it('asks for an API key, streams with a token exchanged for it, and shares a watch link that needs no key', async () => {
    const context = await browser.newContext();
    const speaker = await context.newPage();
    const problems: string[] = [];
    const urls: string[] = [];
    speaker.on('pageerror', (err) => problems.push(err.message));
    speaker.on('request', (req) => urls.push(req.url()));
    speaker.on('websocket', (ws) => urls.push(ws.url()));
    await speaker.goto(`${server.server.url}/?maxSeconds=${seconds}&language=en`);
    await speaker.waitForSelector('#auth:not([hidden])');

    // No key: nothing starts, and the page says what it needs.
    await speaker.click('#toggle');
    await expect.poll(() => speaker.textContent('#notice'), { timeout: 10_000 }).toContain('needs an API key');
    expect(await speaker.textContent('#status')).toBe('Ready');

    // A wrong key: the server's refusal is shown, and the page is ready for another try.
    await speaker.fill('#api-key', 'esk_wrong-key');
    await speaker.click('#toggle');
    await expect
      .poll(() => speaker.textContent('#notice'), { timeout: 10_000 })
      .toContain('The API key was not accepted: unknown API key');
    expect(await speaker.textContent('#status')).toBe('Ready');

    await speaker.fill('#api-key', speakerKey.key);
    await speaker.click('#toggle');
    await expect.poll(() => speaker.textContent('#status'), { timeout: 15_000 }).toBe('Live');
    const link = await speaker.inputValue('#share-link');
    expect(link).toMatch(/\/watch\/[\w-]+\?token=[\w.-]+$/);
    await speaker.waitForSelector('.caption-text:has-text("young man")', { timeout: 40_000 });
    await expect.poll(() => speaker.textContent('#status'), { timeout: 30_000 }).toBe('Done');

    // The viewer, in a fresh context with no key, follows the session through the link's watch token alone.
    const viewerContext = await browser.newContext();
    const watcher = await viewerContext.newPage();
    watcher.on('pageerror', (err) => problems.push(err.message));
    await watcher.goto(link);
    await watcher.waitForSelector('.caption-text:has-text("young man")', { timeout: 15_000 });

    const secret = speakerKey.key.slice(4);
    expect(urls.length).toBeGreaterThan(3);
    expect(urls.filter((u) => u.includes(secret))).toEqual([]);
    expect(link).not.toContain(secret);
    expect(speaker.url()).not.toContain(secret);
    expect(problems).toEqual([]);
    await viewerContext.close();
    await context.close();
  }, 120_000);
});
