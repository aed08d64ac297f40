/**
 * `earshot models pull / list / rm` against a local fake hub (test/support/fake-hub.ts, answering as huggingface.co
 * does): a pull shows a bar per file, a cut transfer fails the pull and shows in `list` as unfinished, the next pull
 * resumes it, and `rm` removes the model.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moonshineFixture } from '../fixtures/moonshine/write-model.ts';
import { whisperFixture } from '../fixtures/whisper/write-model.ts';
import { startFakeHub } from '../support/fake-hub.ts';

const NAME = 'earshot-test/whisper-tiny-random';
const tmp = mkdtempSync(join(tmpdir(), 'earshot-models-cli-'));
const fixture = whisperFixture('tiny-random');

function earshot(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/earshot.mjs', 'models', ...args, '--model-dir', tmp], {
      env: { ...process.env, HF_HUB_CACHE: join(tmp, 'hf') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('earshot models', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('pull shows progress and resumes after a cut; list shows sizes and unfinished downloads; rm removes', async () => {
    const hub = await startFakeHub({ [NAME]: fixture });
    hub.cutNext('onnx/decoder_model_merged.onnx', 200_000);
    const cut = await earshot('pull', NAME, '--dtype', 'fp32', '--model-hub', hub.url);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/onnx\/decoder_model_merged\.onnx: download interrupted after \d+ of \d+ bytes/);
    expect(cut.stderr).toMatch(/^config\.json \[#{30}\] 100% /m);
    const listed = await earshot('list');
    expect(listed.stdout).toMatch(
      new RegExp(
        `^${NAME}\\s+[\\d.]+ [KM]iB\\s+fp32\\s+1 unfinished download\\(s\\): earshot models pull ${NAME} resumes$`,
        'm',
      ),
    );

    const resumed = await earshot('pull', NAME, '--dtype', 'fp32', '--model-hub', hub.url);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${NAME} (whisper, fp32) is in ${join(tmp, NAME)}`);
    expect(resumed.stderr).toMatch(/^onnx\/decoder_model_merged\.onnx \[#{30}\] 100% /m);
    expect(resumed.stderr).not.toMatch(/^config\.json/m); // already there
    expect(hub.requests.filter((r) => r.range).length).toBeGreaterThan(0);
    const size = statSync(join(tmp, NAME, 'onnx/decoder_model_merged.onnx')).size;
    expect(size).toBe(statSync(join(fixture, 'onnx/decoder_model_merged.onnx')).size);
    const complete = await earshot('list');
    expect(complete.stdout).toMatch(new RegExp(`^${NAME}\\s+[\\d.]+ [KM]iB\\s+fp32$`, 'm'));

    const removed = await earshot('rm', NAME);
    expect(removed.code).toBe(0);
    expect((await earshot('list')).stdout).toMatch(/^no models in /);
    await hub.close();
  });

  it('pull --dtype q8 fetches the quantized graphs only', async () => {
    const hub = await startFakeHub({ 'earshot-test/whisper-q8': whisperFixture('tiny-random', { variants: ['q8'] }) });
    const run = await earshot('pull', 'earshot-test/whisper-q8', '--dtype', 'q8', '--model-hub', hub.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('earshot-test/whisper-q8 (whisper, q8)');
    expect(run.stderr).toMatch(/^onnx\/encoder_model_quantized\.onnx \[#{30}\] 100% /m);
    expect(run.stderr).not.toMatch(/^onnx\/encoder_model\.onnx /m);
    expect((await earshot('list')).stdout).toMatch(/^earshot-test\/whisper-q8\s+[\d.]+ [KM]iB\s+q8$/m);
    await hub.close();
  });

  it('pull moonshine-tiny: the short name fetches onnx-community/moonshine-tiny-ONNX, a Moonshine export, at the dtype asked', async () => {
    const hub = await startFakeHub({
      'onnx-community/moonshine-tiny-ONNX': moonshineFixture('tiny-random', { variants: ['q8'] }),
    });
    const run = await earshot('pull', 'moonshine-tiny', '--dtype', 'q8', '--model-hub', hub.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `onnx-community/moonshine-tiny-ONNX (moonshine, q8) is in ${join(tmp, 'onnx-community/moonshine-tiny-ONNX')}`,
    );
    expect(run.stderr).toMatch(/^onnx\/decoder_model_merged_quantized\.onnx \[#{30}\] 100% /m);
    expect((await earshot('list')).stdout).toMatch(/^onnx-community\/moonshine-tiny-ONNX\s+[\d.]+ [KM]iB\s+q8$/m);
    await hub.close();
  });

  it('pull with an empty hub and no bucket says it is offline', async () => {
    const run = await earshot('pull', NAME, '--model-hub', '');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/EARSHOT_MODEL_HUB is empty \(offline\)/);
  });
});
