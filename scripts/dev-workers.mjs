#!/usr/bin/env node
// `npm run dev:workers [-- more wrangler dev options]`: the Workers edge under `wrangler dev` (local workerd: no
// Cloudflare account, no network), its session relays reaching a Node edge in the origin role, e.g.
//
//   EARSHOT_ORIGIN_SECRET=$(openssl rand -hex 32) npm start                       # the origin, on :8080
//   EARSHOT_ORIGIN_SECRET=<the same> npm run dev:workers                           # Workers, on :8787
//
// WORKERS_PORT picks the port (8787). LOG_LEVEL and every EARSHOT_* variable in the environment reach the Worker
// (EARSHOT_ORIGIN_URL, default http://127.0.0.1:8080, names the origin), through a private env file that is
// read after .dev.vars, so the environment wins over it.
//
// Wrangler's launcher refuses Node older than 22.12, but its CLI runs local development on Node 20, so it is
// started directly.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = createRequire(import.meta.url).resolve('wrangler');

const settings = Object.entries(process.env).filter(
  ([key, value]) => value !== undefined && (key === 'LOG_LEVEL' || key.startsWith('EARSHOT_')),
);
const envFiles = [];
let privateDir;
if (settings.length > 0) {
  if (existsSync(join(root, '.dev.vars'))) envFiles.push(join(root, '.dev.vars'));
  privateDir = mkdtempSync(join(tmpdir(), 'earshot-workers-'));
  const file = join(privateDir, '.env');
  // Wrangler expands `$NAME` in env files, quoted or not; `\$` keeps a literal dollar (API key hashes: `sha256$…`).
  const quoted = (value) => (value.includes("'") ? JSON.stringify(value) : `'${value}'`).replaceAll('$', '\\$');
  writeFileSync(file, settings.map(([key, value]) => `${key}=${quoted(value)}`).join('\n') + '\n', { mode: 0o600 });
  envFiles.push(file);
}

const args = [
  wrangler,
  'dev',
  '--ip',
  '127.0.0.1',
  '--port',
  process.env.WORKERS_PORT ?? '8787',
  ...envFiles.flatMap((f) => ['--env-file', f]),
  ...process.argv.slice(2),
];
const child = spawn(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  // Keep wrangler offline: no Request.cf download, no usage metrics.
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (privateDir) rmSync(privateDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
