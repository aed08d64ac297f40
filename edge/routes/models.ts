/**
 * `GET /v1/models` and `GET /v1/models/:id`, as OpenAI's API answers them (`{object: "list", data: [{id, object:
 * "model", created, owned_by}]}`), so OpenAI-style clients can discover what this deployment serves. The list is
 * what live runners loaded: an ONNX engine's model (e.g. `onnx-community/whisper-base`), or the engine itself for
 * engines without a model choice (`sphinx`, `apertium`, `espeak-ng`); `earshot` adds the engine and its role (`stt`, `mt`,
 * `tts`: the voice of spoken translations).
 * The batch API accepts any `model` name: the deployment, not the request, chooses the engine.
 */
import type { Hono } from 'hono';
import { SCOPES } from '../auth/api-keys.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { requireScope } from '../auth/middleware.ts';
import { errorResponse } from '../http-errors.ts';

/** What a live runner reports of itself (a subset of its heartbeat). */
export interface LoadedEngine {
  role: 'stt' | 'mt' | 'tts';
  engine: string;
  model?: string;
  /** ms since the epoch. */
  startedAt?: number;
}

export interface ModelObject {
  id: string;
  object: 'model';
  /** Unix seconds: when the first runner serving it started. */
  created: number;
  owned_by: string;
  earshot: { role: 'stt' | 'mt' | 'tts'; engine: string };
}

/** One entry per distinct model, STT first, in a stable order. */
export function listModels(loaded: readonly LoadedEngine[]): ModelObject[] {
  const byId = new Map<string, ModelObject>();
  for (const r of loaded) {
    const id = r.model ?? r.engine;
    const created = Math.floor((r.startedAt ?? 0) / 1000);
    const known = byId.get(id);
    if (!known)
      byId.set(id, { id, object: 'model', created, owned_by: 'earshot', earshot: { role: r.role, engine: r.engine } });
    else if (created < known.created) known.created = created;
  }
  const order = { stt: 0, mt: 1, tts: 2 };
  return [...byId.values()].sort((a, b) => order[a.earshot.role] - order[b.earshot.role] || a.id.localeCompare(b.id));
}

export function mountModels(app: Hono, deps: { auth: Authenticator; loaded: () => readonly LoadedEngine[] }): void {
  const guard = requireScope(deps.auth, ...SCOPES);
  app.get('/v1/models', guard, (c) => c.json({ object: 'list', data: listModels(deps.loaded()) }));
  app.get('/v1/models/:id{.+}', guard, (c) => {
    const id = c.req.param('id');
    const model = listModels(deps.loaded()).find((m) => m.id === id);
    return model ? c.json(model) : errorResponse(c, 'model_not_found', `no model "${id}" is loaded here`);
  });
}
