/**
 * The hour-long version of test/drift/no-drift-12min.test.ts (`npm run test:drift`, about 5 minutes on 2 cores): 60 minutes
 * of real speech at 1.3× full-effort capacity; the last 5 minutes' median end-of-speech → final latency stays within
 * 20 % (or 150 ms) of the first 5 minutes'.
 */
import { describe, it } from 'vitest';
import { expectNoDrift } from '../support/drift.ts';

describe('no drift (60 minutes of speech)', () => {
  it(
    'keeps end-of-speech → final latency flat for an hour when the pace exceeds full-effort capacity',
    () => expectNoDrift(60),
    1_800_000,
  );
});
