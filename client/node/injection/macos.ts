/**
 * macOS: System Events keystrokes through osascript. The first use asks the user to allow the app (Terminal or
 * earshot) under Privacy & Security → Accessibility; until then osascript fails with an error that says so.
 */
import { runProgram, type Runner } from './exec.ts';
import type { TextInjector } from './types.ts';

/** An AppleScript string literal. */
const literal = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** AppleScript that types `text`; line breaks are Return key presses (keystroke would send a bare LF). */
export function keystrokeScript(text: string): string {
  const steps = text
    .split('\n')
    .flatMap((line, i) => [...(i > 0 ? ['keystroke return'] : []), ...(line ? [`keystroke ${literal(line)}`] : [])]);
  return `tell application "System Events"\n${steps.map((s) => `  ${s}`).join('\n')}\nend tell`;
}

/** AppleScript that presses Delete (Backspace, key code 51) `count` times. */
export function backspaceScript(count: number): string {
  return `tell application "System Events"\n  repeat ${count} times\n    key code 51\n  end repeat\nend tell`;
}

export class OsascriptInjector implements TextInjector {
  readonly name = 'osascript';
  readonly #run: Runner;

  constructor(run: Runner = runProgram) {
    this.#run = run;
  }

  async type(text: string): Promise<void> {
    if (text) await this.#run('osascript', ['-e', keystrokeScript(text)]);
  }

  async backspace(count: number): Promise<void> {
    if (count > 0) await this.#run('osascript', ['-e', backspaceScript(count)]);
  }
}
