/**
 * Hooks per API key: a key record's `hooks` parse, reach every session of the key, and a session's own switches
 * override them. The webhook dispatcher is real but its `send` is observed (no receiver runs in a unit test; the
 * deliveries themselves are tested in test/e2e/llm-hooks.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { createApiKey, parseKeyRecords } from '../../../edge/auth/api-keys.ts';
import { HookService } from '../../../edge/hooks/session-hooks.ts';
import { WebhookDispatcher } from '../../../edge/hooks/webhooks.ts';
import { silentLogger } from '../../../shared/logger.ts';

const policy = { allowPrivate: false };

function service() {
  const webhooks = new WebhookDispatcher({
    policy,
    timeoutMs: 1000,
    attempts: 1,
    concurrency: 1,
    maxQueue: 10,
    logger: silentLogger,
  });
  const sent = vi.spyOn(webhooks, 'send').mockImplementation(() => undefined);
  const hooks = new HookService({
    llmConcurrency: 1,
    llmMaxQueue: 10,
    maxChars: 1000,
    webhooks,
    policy,
    store: { update: async () => undefined },
    logger: silentLogger,
  });
  return { hooks, sent };
}

describe('per-key hooks', () => {
  it('parses a key record with hooks and a webhook, and refuses a bad one with the line named', () => {
    const { record } = createApiKey({
      id: 'alice',
      scopes: ['realtime'],
      hooks: { summary: true, webhook: { url: 'https://hooks.example.com/a', secret: 'a-secret-of-16-chars' } },
    });
    expect(parseKeyRecords(JSON.stringify(record), 'keys').at(0)!.hooks).toEqual(record.hooks);
    expect(() =>
      parseKeyRecords(JSON.stringify({ ...record, hooks: { webhook: { url: 'https://x', secret: 'short' } } }), 'keys'),
    ).toThrow(/keys line 1: hooks.webhook.secret/);
  });

  it("sends every session's events to the key's webhook, and to the session's own as well", () => {
    const { hooks, sent } = service();
    const key = { webhook: { url: 'https://hooks.example.com/key', secret: 'a-secret-of-16-chars' } };
    const run = hooks.forSession({
      session: 's1',
      key,
      start: { webhook: { url: 'https://hooks.example.com/session', secret: 'another-secret-16ch' } },
      emit: () => undefined,
      logger: silentLogger,
    })!;
    run.onEvent({ type: 'final', seq: 1, text: 'hello', start: 0, end: 1 });
    expect(sent.mock.calls.map(([target, id, type]) => [target.url.pathname, id, type])).toEqual([
      ['/key', 's1.final.1.r1', 'final'],
      ['/session', 's1.final.1.r1', 'final'],
    ]);
  });

  it("lets a session turn off the key's LLM hooks, and says when the server has no LLM for them", () => {
    const { hooks } = service();
    expect(
      hooks.forSession({
        session: 's2',
        key: { post_edit: true },
        start: { post_edit: false },
        emit: () => undefined,
        logger: silentLogger,
      }),
    ).toBeUndefined();
    expect(
      hooks.forSession({ session: 's3', key: { summary: true }, emit: () => undefined, logger: silentLogger })!.notice,
    ).toMatch(/no LLM endpoint/);
  });

  it('refuses a key or session webhook pointing at the metadata service', () => {
    const { hooks } = service();
    expect(() =>
      hooks.forSession({
        session: 's4',
        start: { webhook: { url: 'http://169.254.169.254/latest', secret: 'a-secret-of-16-chars' } },
        emit: () => undefined,
        logger: silentLogger,
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
