/**
 * A real X application with a text field to type into: headful Chromium on a private Xvfb showing a focused
 * <textarea>. There is no window manager, so the window gets X keyboard focus explicitly (and the pointer, since
 * focus otherwise follows it); what xdotool types lands in the textarea, which the test reads back.
 */
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from './chromium.ts';
import { hasXvfb, Xvfb } from './xvfb.ts';

export const canRunXEditor = hasXvfb && hasChromium;

export interface XEditor {
  display: string;
  page: Page;
  /** The textarea's text. */
  text(): Promise<string>;
  close(): Promise<void>;
}

export async function openXEditor(): Promise<XEditor> {
  const xvfb = await Xvfb.start();
  let browser: Browser | undefined;
  try {
    browser = await launchChromium({ display: xvfb.display });
    const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
    await page.setContent(
      '<title>editor</title><textarea id="t" style="width:100%;height:400px;font-size:20px" autofocus></textarea>',
    );
    await page.click('#t');
    const window = xvfb
      .run('xdotool', ['search', '--sync', '--onlyvisible', '--name', 'editor'])
      .trim()
      .split('\n')[0]!;
    xvfb.run('xdotool', ['windowfocus', '--sync', window]);
    xvfb.run('xdotool', ['mousemove', '--window', window, '200', '200']);
    const opened = browser;
    return {
      display: xvfb.display,
      page,
      text: () => page.inputValue('#t'),
      close: async () => {
        await opened.close();
        await xvfb.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await xvfb.stop();
    throw err;
  }
}
