/**
 * A minimal client of the OpenAI chat-completions API (`POST {base}/chat/completions`), which Ollama, vLLM,
 * llama.cpp's server and OpenAI all speak. Every call has a deadline and a bounded answer; errors are typed
 * (`LlmError`) and never carry the API key. The endpoint is the operator's (EARSHOT_LLM_URL), so no SSRF policy
 * applies to it, unlike webhooks.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  /** Largest answer read, in bytes (default 256 KiB). */
  maxResponseBytes?: number;
}

export class LlmError extends Error {
  override name = 'LlmError';
  constructor(
    readonly reason: 'timeout' | 'http' | 'network' | 'bad_response',
    message: string,
  ) {
    super(message);
  }
}

export class LlmClient {
  readonly #options: LlmOptions;
  readonly #url: string;

  constructor(options: LlmOptions) {
    this.#options = options;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  get model(): string {
    return this.#options.model;
  }

  async complete(
    messages: readonly ChatMessage[],
    options: { maxTokens: number; signal?: AbortSignal },
  ): Promise<string> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          ...(this.#options.apiKey ? { authorization: `Bearer ${this.#options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.#options.model,
          messages,
          max_tokens: options.maxTokens,
          temperature: 0,
          stream: false,
        }),
      });
    } catch (err) {
      if (timeout.aborted) throw new LlmError('timeout', `no answer within ${this.#options.timeoutMs} ms`);
      throw new LlmError('network', `request failed: ${(err as Error).message}`);
    }
    let text: string;
    try {
      text = await readBounded(res, this.#options.maxResponseBytes ?? 256 * 1024);
    } catch (err) {
      if (timeout.aborted) throw new LlmError('timeout', `no answer within ${this.#options.timeoutMs} ms`);
      throw new LlmError('bad_response', (err as Error).message);
    }
    if (!res.ok) throw new LlmError('http', `HTTP ${res.status}`);
    let content: unknown;
    try {
      content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message
        ?.content;
    } catch {
      throw new LlmError('bad_response', 'the answer is not JSON');
    }
    if (typeof content !== 'string') throw new LlmError('bad_response', 'the answer has no choices[0].message.content');
    return content.trim();
  }
}

async function readBounded(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`answer larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
