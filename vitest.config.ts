import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Long suites have their own commands: npm run test:chaos, npm run test:soak, npm run test:drift.
    exclude: ['test/chaos/**', 'test/soak/**', 'test/drift/**', 'node_modules/**'],
    // Native engines (koffi, child processes) are safest in separate processes.
    pool: 'forks',
    // Generous: e2e tests stream real audio through real engines on 2 shared cores.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
