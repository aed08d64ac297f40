import { defineConfig } from 'vitest/config';

// Tests split by what they cost: `npm run test:unit` runs in-process tests only; `npm test` runs every project.
// A test that starts servers, processes or Redis goes under test/e2e, test/distributed or test/cli (integration);
// one that drives Chromium is named browser-*.test.ts or lives in test/web/browser-*; wrangler/workerd tests are
// named workers-*.test.ts.
const BROWSER = ['test/web/browser-*.test.ts', 'test/desktop/renderer-pages.test.ts'];
const WORKERS = ['test/**/workers-*.test.ts'];
const INTEGRATION = [
  'test/e2e/**/*.test.ts',
  'test/distributed/**/*.test.ts',
  'test/cli/**/*.test.ts',
  // Outside those folders, these start a server, Redis, an X server or a process of their own.
  'test/bench/load-harness.test.ts',
  'test/desktop/key-state.test.ts',
  'test/desktop/x11-voice-typing.test.ts',
  'test/edge/auth/redis-limiter.test.ts',
  'test/edge/batch/blob-store.test.ts',
  'test/edge/routes/origin.test.ts',
  'test/edge/watch-route.test.ts',
  'test/gpu-runners/models/model-store.test.ts',
  // Not a process of its own, but slow: six dtypes of Whisper through earshot and transformers.js.
  'test/gpu-runners/whisper/dtypes.test.ts',
  'test/shared/client/resilient-session.test.ts',
  'test/shared/queue/redis-drivers.test.ts',
  'test/shared/telemetry/otlp-exporter.test.ts',
  'test/shared/vad/segmenter-catch-up.test.ts',
];
// Long suites have their own commands: npm run test:chaos, npm run test:soak, npm run test:drift.
const LONG = ['test/chaos/**', 'test/soak/**', 'test/drift/**', 'node_modules/**'];

export default defineConfig({
  test: {
    // Native engines (koffi, child processes) are safest in separate processes.
    pool: 'forks',
    // Generous: e2e tests stream real audio through real engines on 2 shared cores.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...LONG, ...BROWSER, ...WORKERS, ...INTEGRATION] } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, exclude: [...LONG, ...BROWSER, ...WORKERS] } },
      { extends: true, test: { name: 'browser', include: BROWSER, exclude: LONG } },
      { extends: true, test: { name: 'workers', include: WORKERS, exclude: LONG } },
    ],
  },
});
