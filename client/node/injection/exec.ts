/** Runs an injection helper program and turns its failures into InjectionErrors that say what to install. */
import { spawn } from 'node:child_process';
import { InjectionError } from './types.ts';

export type Runner = (command: string, args: string[], options?: { env?: NodeJS.ProcessEnv }) => Promise<void>;

export const runProgram: Runner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: options.env ?? process.env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-1000)));
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new InjectionError(
          err.code === 'ENOENT'
            ? `${command} is not installed (voice typing needs it to type into other applications)`
            : `${command}: ${err.message}`,
        ),
      ),
    );
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new InjectionError(`${command} exited ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`)),
    );
  });
