/** A private Xvfb X server for tests that need a real X display (keystroke injection, headful Chromium). */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const hasXvfb = ['/usr/bin/Xvfb', '/usr/bin/xdotool', '/usr/bin/xdpyinfo'].every((p) => existsSync(p));

export class Xvfb {
  readonly display: string;
  readonly #child: ChildProcess;

  private constructor(display: string, child: ChildProcess) {
    this.display = display;
    this.#child = child;
  }

  /** Starts on the first free display number from 90 (Xvfb refuses taken ones through its lock files). */
  static async start(): Promise<Xvfb> {
    for (let n = 90; n < 140; n++) {
      if (existsSync(`/tmp/.X${n}-lock`)) continue;
      const child = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
      const display = `:${n}`;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && child.exitCode === null) {
        try {
          execFileSync('xdpyinfo', ['-display', display], { stdio: 'ignore' });
          return new Xvfb(display, child);
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      child.kill('SIGKILL');
    }
    throw new Error('could not start Xvfb');
  }

  /** Runs an X client program on this display. */
  run(command: string, args: string[]): string {
    return execFileSync(command, args, { env: { ...process.env, DISPLAY: this.display } }).toString();
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGTERM');
    });
  }
}
