/** The hook service an edge runs, from the configuration: one LLM queue and one webhook queue per edge. */
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SessionStore } from '../../shared/queue/ports.ts';
import { LlmClient } from './llm-client.ts';
import { HookService } from './session-hooks.ts';
import { WebhookDispatcher } from './webhooks.ts';

type HookConfig = Pick<
  Config,
  | 'llmUrl'
  | 'llmModel'
  | 'llmApiKey'
  | 'llmTimeoutMs'
  | 'llmConcurrency'
  | 'llmMaxQueue'
  | 'llmMaxChars'
  | 'webhookTimeoutMs'
  | 'webhookAttempts'
  | 'webhookConcurrency'
  | 'webhookMaxQueue'
  | 'webhookAllowPrivate'
>;

export function createHookService(
  config: HookConfig,
  store: Pick<SessionStore, 'update'>,
  logger: Logger,
  count?: (hook: string, outcome: string) => void,
): HookService {
  const log = logger.child({ component: 'hooks' });
  const policy = { allowPrivate: config.webhookAllowPrivate };
  return new HookService({
    ...(config.llmUrl
      ? {
          llm: new LlmClient({
            baseUrl: config.llmUrl,
            model: config.llmModel,
            ...(config.llmApiKey ? { apiKey: config.llmApiKey } : {}),
            timeoutMs: config.llmTimeoutMs,
          }),
        }
      : {}),
    llmConcurrency: config.llmConcurrency,
    llmMaxQueue: config.llmMaxQueue,
    maxChars: config.llmMaxChars,
    policy,
    store,
    logger: log,
    webhooks: new WebhookDispatcher({
      policy,
      timeoutMs: config.webhookTimeoutMs,
      attempts: config.webhookAttempts,
      concurrency: config.webhookConcurrency,
      maxQueue: config.webhookMaxQueue,
      logger: log,
      observe: (outcome) => count?.('webhook', outcome),
    }),
    observe: (hook, outcome) => count?.(hook, outcome),
  });
}
