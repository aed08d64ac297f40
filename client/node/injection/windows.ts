/**
 * Windows: System.Windows.Forms.SendKeys through PowerShell, which ships with every Windows. The script goes as
 * -EncodedCommand (UTF-16LE base64), so no quoting layer between Node, cmd and PowerShell can mangle the text.
 * SendKeys gives + ^ % ~ ( ) { } [ ] special meanings; they are sent braced, which types them literally.
 */
import { runProgram, type Runner } from './exec.ts';
import type { TextInjector } from './types.ts';

/** SendKeys syntax that types `text` literally ("\n" as Enter). */
export function sendKeysEscape(text: string): string {
  return text.replace(/\r?\n|[+^%~(){}[\]]/g, (ch) => (ch.endsWith('\n') ? '{ENTER}' : `{${ch}}`));
}

/** The PowerShell script that sends `keys` (SendKeys syntax), as a single-quoted literal. */
export function sendKeysScript(keys: string): string {
  return `Add-Type -AssemblyName System.Windows.Forms; [System.Windows.Forms.SendKeys]::SendWait('${keys.replace(/'/g, "''")}')`;
}

export class SendKeysInjector implements TextInjector {
  readonly name = 'sendkeys';
  readonly #run: Runner;

  constructor(run: Runner = runProgram) {
    this.#run = run;
  }

  async type(text: string): Promise<void> {
    if (text) await this.#send(sendKeysEscape(text));
  }

  async backspace(count: number): Promise<void> {
    if (count > 0) await this.#send(`{BS ${count}}`);
  }

  #send(keys: string): Promise<void> {
    const encoded = Buffer.from(sendKeysScript(keys), 'utf16le').toString('base64');
    return this.#run('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
      encoded,
    ]);
  }
}
