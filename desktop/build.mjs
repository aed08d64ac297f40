#!/usr/bin/env node
/**
 * Builds the Electron app into desktop/dist/ with esbuild (which tsx already brings): the main process and the
 * sandboxed preload as CommonJS bundles (Electron loads those without a loader), the pages' scripts as browser
 * scripts, and the pages themselves copied beside them. Usage: node desktop/build.mjs [outdir]
 */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** @param {string} outdir @param {{ alias?: Record<string, string> }} [options] alias: swap modules (tests fake `electron`) */
export async function buildDesktop(outdir = join(here, 'dist'), options = {}) {
  await mkdir(outdir, { recursive: true });
  const common = { bundle: true, logLevel: 'warning', sourcemap: 'linked', alias: options.alias ?? {} };
  // Native and optional modules stay outside the bundle; `electron` is provided by Electron itself.
  const external = options.alias?.electron
    ? ['koffi', 'bufferutil', 'utf-8-validate']
    : ['electron', 'koffi', 'bufferutil', 'utf-8-validate'];
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(here, 'electron/main.ts')],
      outfile: join(outdir, 'main.cjs'),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external,
    }),
    build({
      ...common,
      entryPoints: [join(here, 'electron/preload.ts')],
      outfile: join(outdir, 'preload.cjs'),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external,
    }),
    build({
      ...common,
      entryPoints: { overlay: join(here, 'renderer/overlay.ts'), settings: join(here, 'renderer/settings.ts') },
      outdir,
      platform: 'browser',
      // Classic scripts: Chromium refuses ES module scripts from file:// URLs.
      format: 'iife',
      target: 'chrome120',
    }),
    ...['overlay.html', 'overlay.css', 'settings.html', 'settings.css'].map((f) =>
      copyFile(join(here, 'renderer', f), join(outdir, f)),
    ),
  ]);
  return outdir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildDesktop(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`earshot desktop built in ${out}; run it with: npx electron ${join(out, 'main.cjs')}\n`);
}
