/**
 * The web pages as the edge serves them: client/web's TypeScript bundled by esbuild into one ES module per page
 * (and one for the microphone's AudioWorklet), built once per process on first use and kept in memory, so
 * `npm start` needs no build step; the HTML, CSS and icon are read from client/web/ as they are. The bundles
 * carry the same modules the CLI runs (the resilient session, the resampler), never a copy. Node-only (esbuild).
 */
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/** Served bundle name (without `.js`) → its entry point in client/web/. */
const ENTRIES: Record<string, string> = {
  speaker: 'speaker.ts',
  watch: 'watch.ts',
  'pcm16-worklet': 'pcm16-worklet.ts',
};

/**
 * zod's `z` namespace re-exports its error messages in ~50 languages (`locales`), which esbuild cannot drop; the
 * pages only ever use the English default, so the locale index resolves to English alone (about half the speaker
 * bundle). Should zod move that file, the filter simply stops matching and the bundle is larger, not broken.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(args.resolveDir, args.path), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/** Every bundle by served name (`speaker.js`, …). Rejects with esbuild's messages when a page does not build. */
export async function bundleWebPages(dir: string = WEB_DIR): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(dir, file)])),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Browsers have a WebSocket; the client's fallback to Node's `ws` package is never taken there.
    external: ['ws'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    outdir: 'web',
    write: false,
    logLevel: 'silent',
    plugins: [zodEnglishOnly],
  });
  return new Map(result.outputFiles.map((file) => [basename(file.path), file.contents]));
}

/**
 * The bytes of a served file of the web client by flat name (the edge's AssetLoader): a bundle for `*.js`,
 * otherwise the file of client/web/ (only names the edge's route admits reach here: html, js, css, svg).
 */
export function webPageAssets(dir: string = WEB_DIR): (name: string) => Promise<Uint8Array | null> {
  let bundles: Promise<Map<string, Uint8Array>> | undefined;
  return async (name) => {
    if (name.endsWith('.js')) {
      bundles ??= bundleWebPages(dir).catch((err: unknown) => {
        bundles = undefined; // a fixed source builds on the next request
        throw err;
      });
      return (await bundles).get(name) ?? null;
    }
    try {
      return await readFile(join(dir, name));
    } catch {
      return null;
    }
  };
}
