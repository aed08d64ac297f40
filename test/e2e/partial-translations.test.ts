/**
 * Partial translations: off by default; when enabled (EARSHOT_TRANSLATE_PARTIALS) provisional translations
 * arrive while an utterance is open, and every final still gets its own translation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { expectDeliveryRules, runSession } from '../support/sessions.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
const [longest] = librivoxRecordings().filter((r) => r.id.endsWith('0870'));

describe('partial translations', { timeout: 60_000 }, () => {
  it('are sent while the utterance is open when enabled, before its final', async () => {
    const server = await startTestServer({ EARSHOT_TRANSLATE_PARTIALS: 'true' });
    cleanups.push(() => server.close(0));
    const events = await runSession(server.wsUrl, longest!.pcm, 1);
    const firstFinal = events.findIndex((e) => e.type === 'final');
    const partials = events.slice(0, firstFinal).filter((e) => e.type === 'partial_translation');
    expect(partials.length).toBeGreaterThan(0);
    expect(partials.every((p) => p.type === 'partial_translation' && p.lang === 'es' && p.text.length > 0)).toBe(true);
    expectDeliveryRules(events);
  });

  it('are off by default', async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close(0));
    const events = await runSession(server.wsUrl, longest!.pcm, 2);
    expect(events.filter((e) => e.type === 'partial_translation')).toEqual([]);
    expect(events.some((e) => e.type === 'partial')).toBe(true);
    expectDeliveryRules(events);
  });
});
