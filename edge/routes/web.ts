/**
 * The web client, served by the edge itself (no separate server): the speaker page at `/`, the watch page (and its
 * OBS overlay mode) at `/watch/:session`, and their scripts (ES module bundles) and styles under `/web/`. The files
 * come through an AssetLoader so this route stays runtime-neutral: the Node adapter serves client/web/, its
 * TypeScript bundled on first request (client/node/web-pages.ts); a Workers entry can hand in its static-assets
 * binding.
 */
import type { Context, Hono } from 'hono';

/** The bytes of a served file of the web client (client/web/) by name, or null when there is none. */
export type AssetLoader = (name: string) => Promise<Uint8Array | null>;

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
/** Flat names only: no path segments can reach outside the web client's files. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

/**
 * The pages talk only to their own origin (HTTP and WebSocket: CSP3's 'self' covers ws: and wss: to the same host)
 * and load nothing else; mic capture is allowed for this origin. Inline scripts and styles are refused, which is
 * why the pages carry none. Only this origin and those allowed by EARSHOT_ALLOWED_ORIGINS may frame the pages,
 * so another site cannot overlay the microphone page (clickjacking).
 */
function securityHeaders(frameAncestors: readonly string[] | '*'): Record<string, string> {
  const ancestors = frameAncestors === '*' ? '*' : ["'self'", ...frameAncestors].join(' ');
  return {
    'content-security-policy': `default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors ${ancestors}`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'permissions-policy': 'microphone=(self)',
    // Pages change with the server; revalidation keeps a deployed fix from hiding behind a cache.
    'cache-control': 'no-cache',
  };
}

async function serve(c: Context, load: AssetLoader, name: string, headers: Record<string, string>): Promise<Response> {
  const body = ASSET_NAME.test(name) ? await load(name) : null;
  if (!body) return c.json({ error: { code: 'not_found', message: `no web asset ${name}` } }, 404);
  const type = TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  return c.body(body as Uint8Array<ArrayBuffer>, 200, { 'content-type': type, ...headers });
}

/** `frameAncestors`: origins besides this one that may frame the pages (EARSHOT_ALLOWED_ORIGINS). */
export function mountWeb(app: Hono, load: AssetLoader, frameAncestors: readonly string[] | '*' = []): void {
  const headers = securityHeaders(frameAncestors);
  app.get('/', (c) => serve(c, load, 'index.html', headers));
  app.get('/watch/:session', (c) => serve(c, load, 'watch.html', headers));
  app.get('/web/:name', (c) => serve(c, load, c.req.param('name'), headers));
}
