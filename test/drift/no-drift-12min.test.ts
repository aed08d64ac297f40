/**
 * Latency does not drift over a long session: 12 minutes of real speech (librivox and espeak-ng sentences with
 * pauses) through the real pipeline at 1.3× what this machine sustains at full effort. The session falls behind,
 * catches up (no partials, fast decoding, merged utterances), and the end-of-speech → final latency of its last 5
 * minutes stays within 20 % (or 150 ms) of its first 5. Without catch-up the same pace drifts by seconds
 * (`npm run bench:drift`, README). Both this and the 60-minute version run in `npm run test:drift`, not in `npm test`:
 * they judge latency, which other tests running on the same cores move (a CI run once measured +20.4 % here).
 */
import { describe, it } from 'vitest';
import { expectNoDrift } from '../support/drift.ts';

describe('no drift (12 minutes of speech)', () => {
  it(
    'keeps end-of-speech → final latency flat when the pace exceeds full-effort capacity',
    () => expectNoDrift(12),
    600_000,
  );
});
