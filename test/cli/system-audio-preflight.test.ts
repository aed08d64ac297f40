/**
 * `--source system` without a sound server: earshot asks the real `pactl info` first and says what to start or
 * install, before it opens a session (here the URL has no server, so a session attempt would fail differently).
 * `earshot mic` is covered beside a real PulseAudio daemon in system-audio-pulse.test.ts; this is voice typing.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function earshot(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/earshot.mjs', ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

// A PULSE_SERVER socket nobody serves: pactl and parec get "Connection refused", as on a machine with no server.
const NO_SERVER = { PULSE_SERVER: 'unix:/nonexistent/earshot-test/pulse.sock' };

describe('system audio without a sound server', { timeout: 90_000 }, () => {
  it('earshot type --source system says what to start or install, before any session', async () => {
    const r = await earshot(['type', '--source', 'system', '--url', 'ws://127.0.0.1:9/v1/realtime'], NO_SERVER);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /no sound server to record system audio from \(pactl info: .*Connection refused\)\. Start one: `systemctl --user start pipewire-pulse`.*apt install pipewire-pulse/,
    );
    expect(r.stderr).not.toMatch(/cannot connect|parec/);
  });
});
