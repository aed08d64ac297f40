/**
 * Hook settings of an API key (its record in the key file): the same switches a session sends in `start.hooks`,
 * and a webhook that receives every session of the key. A session's switches override the key's; a session's own
 * webhook is called in addition to the key's.
 */
import { z } from 'zod';

export const WEBHOOK_EVENTS = ['final', 'translation', 'done', 'edited', 'reply', 'summary'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
/** What a webhook receives when it names no events. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = ['final', 'translation', 'done', 'summary'];

export const WebhookSetting = z.object({
  url: z.string().max(2048),
  /** The HMAC key of the signatures (Standard Webhooks `webhook-signature`); never logged. */
  secret: z.string().min(16).max(256),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
});
export type WebhookSetting = z.infer<typeof WebhookSetting>;

export const KeyHooks = z.object({
  post_edit: z.boolean().optional(),
  summary: z.boolean().optional(),
  command: z.boolean().optional(),
  webhook: WebhookSetting.optional(),
});
export type KeyHooks = z.infer<typeof KeyHooks>;
