import { defineConfig } from 'vitest/config';

// Tests split by what they cost: `npm run test:unit` runs fast in-process tests only (seconds); `npm test` runs every
// project. A test that starts servers, processes or Redis goes under test/e2e, test/distributed or test/cli
// (integration); one that runs a real engine (ONNX against its transformers.js oracle, pocketsphinx, apertium) goes
// under the engine folders below (oracle); one that drives Chromium is named browser-*.test.ts or lives in
// test/web/browser-*; wrangler/workerd tests are named workers-*.test.ts.
const BROWSER = ['test/web/browser-*.test.ts', 'test/desktop/renderer-pages.test.ts'];
const WORKERS = ['test/**/workers-*.test.ts'];
const INTEGRATION = [
  'test/e2e/**/*.test.ts',
  'test/distributed/**/*.test.ts',
  'test/cli/**/*.test.ts',
  // Spawn a process of their own (scripts run as users run them).
  'test/scripts/**/*.test.ts',
  // Outside those folders, these start a server, Redis, an X server or a process of their own.
  'test/bench/load-harness.test.ts',
  'test/desktop/key-state.test.ts',
  'test/client/node/capture.test.ts',
  'test/client/node/x11-voice-typing.test.ts',
  'test/edge/auth/redis-limiter.test.ts',
  'test/edge/batch/blob-store.test.ts',
  'test/edge/batch/inputs.test.ts',
  'test/edge/routes/origin.test.ts',
  'test/edge/watch-route.test.ts',
  'test/gpu-runners/models/model-store.test.ts',
  'test/client/resilient-session.test.ts',
  'test/shared/audio/wav.test.ts',
  'test/shared/queue/redis-drivers.test.ts',
  'test/shared/telemetry/otlp-exporter.test.ts',
  'test/shared/vad/segmenter-catch-up.test.ts',
];
// Real engines in-process: ONNX graphs run against transformers.js, pocketsphinx through FFI, apertium processes, the
// fixture factory that builds the models. Seconds to a minute each; whole folders, so an engine's new tests land here.
const ORACLE = [
  'test/gpu-runners/engines/**/*.test.ts',
  'test/gpu-runners/whisper/**/*.test.ts',
  'test/gpu-runners/nllb/**/*.test.ts',
  'test/gpu-runners/moonshine/**/*.test.ts',
  'test/fixtures/**/*.test.ts',
  'test/gpu-runners/catch-up-effort.test.ts',
  'test/gpu-runners/guard/whisper-guard.test.ts',
  'test/gpu-runners/glossary-terms.test.ts',
  'test/gpu-runners/models/downloads.test.ts',
  // The wake-word engines: pocketsphinx keyphrase spotting on speech, the ONNX pipeline against its offline oracle.
  'test/edge/wake/sphinx-kws.test.ts',
  'test/edge/wake/onnx-wake.test.ts',
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
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...LONG, ...BROWSER, ...WORKERS, ...INTEGRATION, ...ORACLE],
        },
      },
      {
        extends: true,
        test: { name: 'oracle', include: ORACLE, exclude: [...LONG, ...BROWSER, ...WORKERS, ...INTEGRATION] },
      },
      {
        extends: true,
        test: { name: 'integration', include: INTEGRATION, exclude: [...LONG, ...BROWSER, ...WORKERS] },
      },
      { extends: true, test: { name: 'browser', include: BROWSER, exclude: LONG } },
      { extends: true, test: { name: 'workers', include: WORKERS, exclude: LONG } },
    ],
  },
});
