/** Debian's Chromium driven by playwright-core, for browser end-to-end tests (no downloaded browsers). */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Flags that keep Chromium from reaching the network or prompting; tests never leave 127.0.0.1. */
const QUIET = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface LaunchOptions {
  /** A WAV for the fake microphone (Chromium loops it). */
  fakeMicWav?: string;
  /** Headful on this X display (e.g. Xvfb's) instead of headless. */
  display?: string;
}

export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const mic = options.fakeMicWav
    ? [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${options.fakeMicWav}`,
        '--autoplay-policy=no-user-gesture-required',
      ]
    : [];
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: !options.display,
    args: [...QUIET, ...mic],
    ...(options.display ? { env: { ...process.env, DISPLAY: options.display } } : {}),
    timeout: 60_000,
  });
}
