/** Which programs this machine has: recorders, injectors and engines are external programs found on PATH. Node-only. */
import { existsSync, statSync } from 'node:fs';

/** True when `program` is an executable on PATH. */
export function onPath(program: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = (env.PATH ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean);
  const names = process.platform === 'win32' ? [`${program}.exe`, `${program}.cmd`, program] : [program];
  return dirs.some((dir) => names.some((n) => existsSync(`${dir}/${n}`) && statSync(`${dir}/${n}`).isFile()));
}
