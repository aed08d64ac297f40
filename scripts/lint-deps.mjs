#!/usr/bin/env node
/**
 * The import rules of .dependency-cruiser.cjs, checked on what runs: dependency-cruiser cannot read TypeScript
 * without the TypeScript compiler API (TypeScript 7 has none), so each source file is first transpiled by esbuild
 * (types stripped, every value import kept verbatim, as tsx runs it) into a mirror tree under a temporary
 * directory, with the same paths; depcruise then checks the mirror. Type-only imports cost nothing at run time
 * and are not dependencies here. Exits non-zero on any violation.
 * Usage: node scripts/lint-deps.mjs [--root DIR] [dirs…]   (DIR: another tree to check, e.g. a test fixture)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? resolve(args.splice(rootAt, 2)[1]) : repo;
/** The trees whose imports matter: everything that ships or runs, and the tests (for cycles). */
const DIRS =
  args.length > 0
    ? args
    : ['bin', 'bench', 'cli', 'client', 'desktop', 'edge', 'gpu-runners', 'scripts', 'shared', 'test'];
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(['node_modules', 'dist', 'fixtures-cache', '.wrangler']);

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const mirror = mkdtempSync(join(tmpdir(), 'earshot-deps-'));
try {
  /** Files by path: depcruise skips .ts files when it walks folders (it has no TypeScript parser), so it gets a list. */
  const files = [];
  for (const dir of DIRS) {
    for (const file of walk(join(root, dir))) {
      const source = readFileSync(file, 'utf8');
      const loader = /\.[cm]?ts$/.test(file) ? 'ts' : 'js';
      let code;
      try {
        code = transformSync(source, {
          loader,
          format: 'esm',
          tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
        }).code;
      } catch {
        code = source; // not valid TS/ESM (e.g. CommonJS with syntax esbuild refuses): let depcruise read it as it is
      }
      const out = join(mirror, relative(root, file));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, code);
      files.push(relative(root, file));
    }
  }
  symlinkSync(join(repo, 'node_modules'), join(mirror, 'node_modules'), 'dir');
  writeFileSync(join(mirror, 'package.json'), readFileSync(join(repo, 'package.json')));
  const bin = join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const run = spawnSync(
    process.execPath,
    [bin, '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'err', ...files],
    {
      cwd: mirror,
      stdio: 'inherit',
    },
  );
  if (run.status !== 0)
    process.stderr.write(
      `lint:deps: import rules broken (${files.length} files checked; rules in .dependency-cruiser.cjs)\n`,
    );
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(mirror, { recursive: true, force: true });
}
