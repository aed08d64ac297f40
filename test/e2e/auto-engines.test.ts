/**
 * `earshot all` with its defaults (`--stt auto --mt auto`), as a user starts it:
 * - offline (`--model-hub ''`, nothing on disk): it starts on sphinx and apertium, says so in one line, and
 *   GET /v1/capabilities lists English with the apertium targets (direct, and through Spanish); the speaker page in
 *   Chromium offers exactly those targets;
 * - online (a local fake hub answering as huggingface.co does, serving generated models under the configured names):
 *   the first start downloads Whisper and NLLB and serves them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CapabilitiesBody } from '../../edge/routes/capabilities.ts';
import { nllbFixture } from '../fixtures/models/nllb-fixture.ts';
import { whisperFixture } from '../fixtures/whisper/write-model.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { startFakeHub } from '../support/fake-hub.ts';

const tmp = mkdtempSync(join(tmpdir(), 'earshot-auto-e2e-'));
let child: ChildProcess | undefined;

async function start(args: string[]): Promise<{ url: string; stderr: () => string }> {
  child = spawn(process.execPath, ['bin/earshot.mjs', 'all', '--port', '0', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HF_HUB_CACHE: join(tmp, 'hf') },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 90 s:\n${stderr}`)), 90_000);
    child!.stderr!.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child!.on('exit', (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
  });
  return { url, stderr: () => stderr };
}

const autoLine = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.includes('"msg":"auto engines'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('earshot all with auto engines', () => {
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('offline: sphinx + apertium, capabilities list the targets, and the speaker page offers only those', async () => {
    const { url, stderr } = await start(['--model-hub', '', '--model-dir', join(tmp, 'empty')]);
    const [line, ...more] = autoLine(stderr());
    expect(more).toEqual([]);
    expect(line).toMatch(
      /stt: sphinx, the model is not on disk and EARSHOT_MODEL_HUB is empty \(offline\); for Whisper, run `earshot models pull/,
    );
    const caps = (await (await fetch(`${url}/v1/capabilities`)).json()) as CapabilitiesBody;
    expect(caps.stt).toEqual({
      engines: ['sphinx'],
      languages: ['en'],
      default_language: 'en',
      glossary: { sphinx: 'dictionary' },
    });
    expect(caps.mt.engines).toEqual(['apertium']);
    const targets = caps.mt.targets.en!;
    expect(targets).toEqual(
      expect.arrayContaining([
        { language: 'es' },
        { language: 'ca' },
        { language: 'gl' },
        { language: 'eo' },
        { language: 'fr', via: 'es' },
        { language: 'pt', via: 'es' },
        { language: 'it', via: 'es' },
      ]),
    );
    expect(targets.map((t) => t.language)).not.toContain('de');

    if (!hasChromium) return;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${url}/?language=en`);
      await page.waitForSelector('#targets input');
      const offered = await page.$$eval('#targets input', (boxes) => boxes.map((b) => (b as HTMLInputElement).value));
      expect(offered.sort()).toEqual(targets.map((t) => t.language).sort());
      expect(await page.getAttribute('#targets label:has(input[value="fr"])', 'title')).toBe(
        'translated through Spanish',
      );
    } finally {
      await browser.close();
    }
  });

  it('online: the first start downloads Whisper and NLLB from the hub and serves them', async () => {
    const hub = await startFakeHub({
      'earshot-test/whisper': whisperFixture('tiny-random'),
      'earshot-test/nllb': nllbFixture('nllb-tiny'),
    });
    try {
      const { url, stderr } = await start([
        '--model-hub',
        hub.url,
        '--model-dir',
        join(tmp, 'models'),
        '--model',
        'earshot-test/whisper',
        '--mt-model',
        'earshot-test/nllb',
      ]);
      expect(autoLine(stderr())[0]).toMatch(
        /stt: whisper-onnx \(earshot-test\/whisper\), downloaded \(fp32\) .* \| mt: nllb-onnx \(earshot-test\/nllb\), downloaded/,
      );
      expect(stderr()).toMatch(/onnx\/decoder_model_merged\.onnx \[#{30}\] 100% /); // the progress bars
      const caps = (await (await fetch(`${url}/v1/capabilities`)).json()) as CapabilitiesBody;
      expect(caps.stt.engines).toEqual(['whisper-onnx']);
      expect(caps.stt.languages.length).toBeGreaterThanOrEqual(99);
      expect(caps.mt.engines).toEqual(['nllb-onnx']);
    } finally {
      await hub.close();
    }
  });
});
