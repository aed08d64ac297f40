/**
 * Import rules the build enforces (`npm run lint:deps`, run by `npm test`; scripts/lint-deps.mjs checks the
 * transpiled sources, so only imports that exist at run time count, never `import type`).
 *
 * Runtime-neutral code runs on Node, in browsers and on Cloudflare Workers: it may not import Node's builtins or
 * the Node-only drivers (Redis, BullMQ, pino, prom-client, processes), directly or through a Node-only module.
 * Node-only code lives in folders named for it.
 */

/** Runtime-neutral: the protocol and its helpers, the client library, the web pages. */
const NEUTRAL = ['^shared/', '^client/[^/]+$', '^client/web/'];
/**
 * Node-only folders and files inside the runtime-neutral trees. shared/queue/redis is the Redis driver of the queue
 * ports; shared/queue/drivers.ts picks a driver (it loads the Redis one); logger.ts is pino and metrics.ts
 * prom-client (imported by ~60 files, several on other branches; moving them to shared/node/ is left for after those
 * merges). New Node-only code in shared/ goes to shared/node/.
 */
const NODE_ONLY_INSIDE = [
  '^shared/node/',
  '^shared/queue/redis/',
  '^shared/queue/drivers[.]ts$',
  '^shared/logger[.]ts$',
  '^shared/metrics[.]ts$',
];
/** Everything Node-only by folder: the drivers inside neutral trees, and the Node-only trees themselves. */
const NODE_ONLY_PATHS = [
  ...NODE_ONLY_INSIDE,
  '^client/node/',
  '^edge/adapters/node/',
  '^edge/batch/',
  '^cli/',
  '^gpu-runners/',
  '^desktop/',
  '^bin/',
];
/** Packages that only run on Node (native code, sockets, processes, or Node's builtins underneath). */
const NODE_ONLY_PACKAGES = [
  'ioredis',
  'bullmq',
  'pino',
  'pino-[^/]+',
  'prom-client',
  'ws',
  'koffi',
  'onnxruntime-node',
  '@hono/node-server',
  '@hono/node-ws',
  '@aws-sdk',
  'esbuild',
  'tsx',
];
const packages = (names) => `^node_modules/(${names.join('|')})/`;
const NODE_PACKAGES = packages(NODE_ONLY_PACKAGES);

/**
 * Cycles that were there when the check came, warned about instead of failing: the sphinx engine builds the streaming
 * lane's decoders (sphinx.ts → sphinx-stream.ts), which use the engine's native helpers (sphinx-stream.ts →
 * sphinx.ts). Breaking it means moving those helpers into a module of their own (e.g. sphinx-native.ts).
 */
const KNOWN_CYCLES = ['^gpu-runners/engines/sphinx(-stream)?[.]ts$'];

/** Node's builtins as depcruise names them once resolved (without the node: prefix). */
const NODE_BUILTINS = `^(${require('node:module')
  .builtinModules.filter((m) => !m.startsWith('_'))
  .map((m) => m.replace(/[/]/g, '[/]'))
  .join('|')})$`;

module.exports = {
  forbidden: [
    {
      name: 'neutral-no-node-builtins',
      severity: 'error',
      comment:
        'Runtime-neutral code (shared/, client/*.ts, client/web/) runs on Workers and in browsers: no node:* builtins or child_process. Move the Node part to a Node-only folder (shared/node/, client/node/, a driver folder).',
      from: { path: NEUTRAL, pathNot: NODE_ONLY_INSIDE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'neutral-no-node-packages',
      severity: 'error',
      comment:
        'Runtime-neutral code may not load Node-only packages (ioredis, bullmq, pino, prom-client, ws, native modules). A dynamic import taken only where the runtime lacks the feature (realtime-client.ts loads ws on Node 20, which has no global WebSocket) is allowed.',
      from: { path: NEUTRAL, pathNot: NODE_ONLY_INSIDE },
      to: { path: NODE_PACKAGES, dynamic: false },
    },
    {
      name: 'neutral-no-node-only-modules',
      severity: 'error',
      comment:
        'Runtime-neutral code may not import a Node-only module (shared/node/, shared/queue/redis/, client/node/, adapters, cli, runners).',
      from: { path: NEUTRAL, pathNot: NODE_ONLY_INSIDE },
      to: { path: NODE_ONLY_PATHS },
    },
    {
      name: 'web-pages-reach-no-node',
      severity: 'error',
      comment:
        'What the web pages load, through any chain of imports, runs in a browser: no Node builtin, Node-only package or folder.',
      from: { path: '^client/web/(speaker|watch|pcm16-worklet)[.]ts$' },
      // Not ws: the client's Node 20 fallback is left out of the bundle (external) and browsers never take it.
      to: {
        path: [NODE_BUILTINS, packages(NODE_ONLY_PACKAGES.filter((p) => p !== 'ws')), ...NODE_ONLY_PATHS],
        reachable: true,
      },
    },
    {
      name: 'workers-edge-reaches-no-node-drivers',
      severity: 'error',
      comment:
        'What the Workers edge loads, through any chain of imports, has no Node-only package or folder. Allowed there: the builtins nodejs_compat provides (node:crypto, node:buffer) and pino, whose browser build wrangler bundles (edge/adapters/workers/logger.ts).',
      from: { path: '^edge/adapters/workers/index[.]ts$' },
      to: { path: [packages(NODE_ONLY_PACKAGES.filter((p) => p !== 'pino')), ...NODE_ONLY_PATHS], reachable: true },
    },
    {
      name: 'server-not-desktop',
      severity: 'error',
      comment:
        'The server (cli/, edge/) and the client stack must not need desktop/: the server image ships without it.',
      from: { path: ['^cli/', '^edge/', '^shared/', '^client/', '^gpu-runners/', '^bin/'] },
      to: { path: '^desktop/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order matter and layers meaningless.',
      from: { pathNot: KNOWN_CYCLES },
      to: { circular: true },
    },
    {
      name: 'known-circular',
      severity: 'warn',
      comment: 'A cycle that predates this check (see KNOWN_CYCLES); reported on every run until it is broken.',
      from: { path: KNOWN_CYCLES },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^desktop/dist/'] },
    // node_modules is a symlink in worktrees; keep its packages under node_modules/ so the package rules match.
    preserveSymlinks: true,
    moduleSystems: ['es6', 'cjs'],
    // Imports name their files with the .ts extension (allowImportingTsExtensions); tsx resolves the same way.
    enhancedResolveOptions: {
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    skipAnalysisNotInRules: true,
  },
};
