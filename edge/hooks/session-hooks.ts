/**
 * LLM hooks of realtime sessions: webhooks of their events, and an LLM step through an OpenAI-compatible
 * endpoint that post-edits finals (`edited` events), answers the command spoken after a wake word (`reply`) and
 * summarises a session when it is done (into its exports). The session hands each event over and returns at once:
 * every call goes through the hooks' own queues with timeouts and bounded sizes, so a slow, failing or hanging
 * endpoint costs only its own output, never a caption.
 */
import type { Glossary } from '../../shared/glossary.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ServerEvent, SessionHooks } from '../../shared/protocol.ts';
import type { SessionStore } from '../../shared/queue/ports.ts';
import type { ChatMessage, LlmClient } from './llm-client.ts';
import { DEFAULT_WEBHOOK_EVENTS, type KeyHooks, type WebhookEventType, type WebhookSetting } from './settings.ts';
import { checkWebhookUrl, type UrlPolicy } from './url-policy.ts';
import type { WebhookDispatcher, WebhookTarget } from './webhooks.ts';
import { WorkQueue } from './work-queue.ts';

export type HookName = 'post_edit' | 'command' | 'summary';

export interface HookServiceOptions {
  /** Absent: no LLM endpoint configured; LLM hooks asked for are reported once and skipped. */
  llm?: LlmClient;
  llmConcurrency: number;
  llmMaxQueue: number;
  /** Most characters of transcript in one request. */
  maxChars: number;
  webhooks: WebhookDispatcher;
  policy: UrlPolicy;
  store: Pick<SessionStore, 'update'>;
  logger: Logger;
  /** Per LLM call: which hook, and how it ended. */
  observe?: (hook: HookName, outcome: 'ok' | 'failed' | 'dropped' | 'discarded') => void;
}

/** Priorities in the LLM queue: a person waits for a reply; a summary can wait. */
const PRIORITY: Record<HookName, number> = { command: 2, post_edit: 1, summary: 0 };
const MAX_TOKENS: Record<HookName, number> = { command: 400, post_edit: 400, summary: 600 };
/** Longest text an LLM answer may give to a client (characters). */
const MAX_ANSWER_CHARS = 4000;

export const PROMPTS = {
  post_edit: (glossary: readonly string[]) =>
    'You edit live speech-recognition captions. Add punctuation and capitalisation and fix obvious recognition errors; do not add, remove or reorder content.' +
    (glossary.length ? ` Spell these terms exactly so: ${glossary.join(', ')}.` : '') +
    ' Answer with the edited caption only.',
  command:
    'You are a voice assistant. The user spoke the request below after its wake word; it may contain recognition errors. Answer briefly, in plain text.',
  summary:
    'Summarise this transcript of a spoken session in a few sentences, in its language. Answer with the summary only.',
};

export class HookService {
  readonly #options: HookServiceOptions;
  readonly #llmQueue: WorkQueue;

  constructor(options: HookServiceOptions) {
    this.#options = options;
    this.#llmQueue = new WorkQueue({ concurrency: options.llmConcurrency, maxQueue: options.llmMaxQueue });
  }

  /**
   * The hooks of one session connection, or undefined when it has none. Throws `invalid_request` for a webhook URL
   * the policy refuses (the session's `start` fails with it).
   */
  forSession(args: {
    session: string;
    key?: KeyHooks;
    start?: SessionHooks;
    glossary?: Glossary;
    emit: (event: ServerEvent) => void;
    logger: Logger;
  }): SessionHookRun | undefined {
    const { key = {}, start = {} } = args;
    const flags = {
      post_edit: start.post_edit ?? key.post_edit ?? false,
      summary: start.summary ?? key.summary ?? false,
      command: start.command ?? key.command ?? false,
    };
    const targets: WebhookTarget[] = [];
    for (const setting of [key.webhook, start.webhook]) if (setting) targets.push(this.#target(setting));
    if (!flags.post_edit && !flags.summary && !flags.command && targets.length === 0) return undefined;
    const run = new SessionHookRun(
      this,
      args.session,
      flags,
      targets,
      (args.glossary ?? []).map((t) => t.term),
      args.emit,
      args.logger,
    );
    if ((flags.post_edit || flags.summary || flags.command) && !this.#options.llm)
      run.notice = 'this server has no LLM endpoint (EARSHOT_LLM_URL); post-edit, summary and command are off';
    return run;
  }

  #target(setting: WebhookSetting): WebhookTarget {
    return {
      url: checkWebhookUrl(setting.url, this.#options.policy),
      secret: setting.secret,
      events: setting.events ?? DEFAULT_WEBHOOK_EVENTS,
    };
  }

  get options(): HookServiceOptions {
    return this.#options;
  }

  /** Queues an LLM call; `deliver` gets the answer. Never throws; failures are logged and counted. */
  ask(
    hook: HookName,
    messages: ChatMessage[],
    logger: Logger,
    deliver: (answer: string) => void | Promise<void>,
  ): void {
    const { llm, observe } = this.#options;
    if (!llm) return;
    this.#llmQueue.push({
      priority: PRIORITY[hook],
      dropped: () => {
        logger.warn({ hook }, 'LLM queue full; hook skipped');
        observe?.(hook, 'dropped');
      },
      run: async () => {
        try {
          const answer = await llm.complete(messages, { maxTokens: MAX_TOKENS[hook] });
          await deliver(answer.slice(0, MAX_ANSWER_CHARS));
          observe?.(hook, 'ok');
        } catch (err) {
          logger.warn(
            { hook, err: { name: (err as Error).name, message: (err as Error).message } },
            'LLM hook failed; its output is skipped',
          );
          observe?.(hook, err instanceof HookDiscarded ? 'discarded' : 'failed');
        }
      },
    });
  }

  clip(text: string): string {
    return text.length > this.#options.maxChars ? text.slice(text.length - this.#options.maxChars) : text;
  }

  /** Resolves once no LLM call is queued or running (tests, shutdown). */
  whenIdle(): Promise<void> {
    return this.#llmQueue.whenIdle();
  }
}

class HookDiscarded extends Error {
  override name = 'HookDiscarded';
}

/** One session's hooks: sees every event the speaker is sent, and the wake word. */
export class SessionHookRun {
  readonly #service: HookService;
  readonly #session: string;
  readonly #flags: Record<HookName, boolean>;
  readonly #targets: WebhookTarget[];
  readonly #glossary: string[];
  readonly #emit: (event: ServerEvent) => void;
  readonly #log: Logger;
  /** Latest text of each final, by seq: the summary's transcript. */
  readonly #finals = new Map<number, string>();
  /** Set by a wake word: the next final from here (session seconds) is a command. */
  #commandFrom: number | undefined;
  /** Why a hook asked for is off, for the session to tell its client after `ready`. */
  notice: string | undefined;

  constructor(
    service: HookService,
    session: string,
    flags: Record<HookName, boolean>,
    targets: WebhookTarget[],
    glossary: string[],
    emit: (event: ServerEvent) => void,
    log: Logger,
  ) {
    this.#service = service;
    this.#session = session;
    this.#flags = flags;
    this.#targets = targets;
    this.#glossary = glossary;
    this.#emit = emit;
    this.#log = log;
  }

  onWake(at: number): void {
    if (this.#flags.command) this.#commandFrom = at;
  }

  onEvent(event: ServerEvent): void {
    switch (event.type) {
      case 'final':
        this.#finals.set(event.seq, event.text);
        this.#webhook('final', `${event.seq}.r${event.rev ?? 1}`, {
          seq: event.seq,
          rev: event.rev ?? 1,
          text: event.text,
          start: event.start,
          end: event.end,
        });
        if (!event.text.trim()) return;
        if (this.#commandFrom !== undefined && event.start >= this.#commandFrom - 0.5) {
          this.#commandFrom = undefined;
          this.#command(event.seq, event.text);
        }
        if (this.#flags.post_edit) this.#postEdit(event.seq, event.rev, event.text);
        return;
      case 'translation':
        return this.#webhook('translation', `${event.seq}.${event.lang}.r${event.rev ?? 1}`, {
          seq: event.seq,
          lang: event.lang,
          rev: event.rev ?? 1,
          text: event.text,
        });
      case 'done':
        this.#webhook('done', '', {});
        if (this.#flags.summary) this.#summary();
        return;
    }
  }

  #webhook(type: WebhookEventType, suffix: string, data: Record<string, unknown>): void {
    const id = `${this.#session}.${type}${suffix ? `.${suffix}` : ''}`;
    for (const target of this.#targets)
      this.#service.options.webhooks.send(target, id, type, { session: this.#session, ...data });
  }

  #postEdit(seq: number, rev: number | undefined, text: string): void {
    const previous = this.#finals.get(seq - 1);
    const messages: ChatMessage[] = [
      { role: 'system', content: PROMPTS.post_edit(this.#glossary) },
      {
        role: 'user',
        content: this.#service.clip(previous ? `(previous caption, for context only: ${previous})\n${text}` : text),
      },
    ];
    this.#service.ask('post_edit', messages, this.#log, (answer) => {
      // An edit is the same words, punctuated: an answer far longer than the caption is the model talking instead.
      if (!answer || answer.length > text.length * 2 + 40)
        throw new HookDiscarded('the post-edit is not an edit of the caption');
      if (this.#finals.get(seq) !== text) return; // a newer revision of this final is being edited
      this.#emit({ type: 'edited', seq, text: answer, ...(rev !== undefined ? { rev } : {}) });
      this.#webhook('edited', `${seq}.r${rev ?? 1}`, { seq, rev: rev ?? 1, text: answer });
    });
  }

  #command(seq: number, text: string): void {
    const messages: ChatMessage[] = [
      { role: 'system', content: PROMPTS.command },
      { role: 'user', content: this.#service.clip(text) },
    ];
    this.#service.ask('command', messages, this.#log, (answer) => {
      if (!answer) throw new HookDiscarded('empty reply');
      this.#emit({ type: 'reply', seq, text: answer });
      this.#webhook('reply', String(seq), { seq, request: text, text: answer });
    });
  }

  #summary(): void {
    const transcript = [...this.#finals.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]) => t)
      .filter(Boolean)
      .join('\n');
    if (!transcript) return;
    const messages: ChatMessage[] = [
      { role: 'system', content: PROMPTS.summary },
      { role: 'user', content: this.#service.clip(transcript) },
    ];
    this.#service.ask('summary', messages, this.#log, async (answer) => {
      if (!answer) throw new HookDiscarded('empty summary');
      await this.#service.options.store.update(this.#session, { summary: answer });
      this.#webhook('summary', '', { text: answer });
    });
  }
}
