import { defineConfig } from 'vitest/config';

/** Long suites kept out of `npm test`: `npm run test:chaos`, `npm run test:drift`. */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts', 'test/drift/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
