/**
 * `GET /v1/models` on the real embedded server with auth on: the official OpenAI client lists and retrieves the
 * engines the runners loaded (sphinx for STT, apertium for MT), with the same auth as other routes.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import { listModels } from '../../edge/routes/models.ts';
import { startTestServer } from '../support/server.ts';

const key = createApiKey({ id: 'lister', scopes: ['batch'] });
let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_AUTH: 'on',
    EARSHOT_API_KEYS: JSON.stringify([key.record]),
    EARSHOT_JWT_SECRET: 'test-secret-that-is-at-least-32-characters',
  });
});
afterAll(async () => {
  await server?.close(0);
});

describe('GET /v1/models', () => {
  it('lists the loaded engines for the OpenAI client, and retrieves one', async () => {
    const client = new OpenAI({ apiKey: key.key, baseURL: `${server.server.url}/v1`, maxRetries: 0 });
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((m) => [m.id, m.object, m.owned_by])).toEqual([
      ['sphinx', 'model', 'earshot'],
      ['apertium', 'model', 'earshot'],
      ['espeak-ng', 'model', 'earshot'],
    ]);
    const now = Date.now() / 1000;
    for (const m of models) expect(m.created).toBeGreaterThan(now - 600);
    expect((await client.models.retrieve('sphinx')).id).toBe('sphinx');
    await expect(client.models.retrieve('whisper-1')).rejects.toMatchObject({
      status: 404,
      error: { code: 'model_not_found' },
    });
  });

  it('needs a credential like the other routes', async () => {
    const res = await fetch(`${server.server.url}/v1/models`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('names ONNX models by model and lists each once, STT first', () => {
    const t = 1_800_000_000_000;
    expect(
      listModels([
        { role: 'mt', engine: 'nllb-onnx', model: 'Xenova/nllb-200-distilled-600M', startedAt: t },
        { role: 'stt', engine: 'whisper-onnx', model: 'onnx-community/whisper-base', startedAt: t + 5000 },
        { role: 'stt', engine: 'whisper-onnx', model: 'onnx-community/whisper-base', startedAt: t },
      ]),
    ).toEqual([
      {
        id: 'onnx-community/whisper-base',
        object: 'model',
        created: t / 1000,
        owned_by: 'earshot',
        earshot: { role: 'stt', engine: 'whisper-onnx' },
      },
      {
        id: 'Xenova/nllb-200-distilled-600M',
        object: 'model',
        created: t / 1000,
        owned_by: 'earshot',
        earshot: { role: 'mt', engine: 'nllb-onnx' },
      },
    ]);
  });
});
