/**
 * The batch API, OpenAI-compatible: `POST /v1/audio/transcriptions` and `/v1/audio/translations` (multipart; see
 * batch/params.ts for the fields), with `?async=true` for long files, and `GET /v1/jobs/:id` for async jobs.
 * Translations follow OpenAI: the text is English whatever was spoken (transcribed, then translated by the MT
 * engine unless the speech is English already).
 */
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ErrorCode } from '../../shared/errors.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { requireScope } from '../auth/middleware.ts';
import type { BatchJobState } from '../batch/jobs.ts';
import { parseMultipart } from '../batch/multipart.ts';
import { parseBatchForm, type Task } from '../batch/params.ts';
import type { BatchService } from '../batch/service.ts';
import { render, type Transcript } from '../batch/transcript.ts';
import { errorResponse } from '../http-errors.ts';

export interface AudioRouteDeps {
  batch: BatchService;
  auth: Authenticator;
  maxUploadBytes: number;
  /** Null admits the request; otherwise why the edge refuses new work now (draining, overloaded). */
  admission: () => { code: ErrorCode; message: string } | null;
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ROUTES: [string, Task][] = [
  ['/v1/audio/transcriptions', 'transcribe'],
  ['/v1/audio/translations', 'translate'],
];

function sendTranscript(c: Context, transcript: Transcript, format: Parameters<typeof render>[1]): Response {
  const { body, contentType } = render(transcript, format);
  return typeof body === 'string' ? c.body(body, 200, { 'content-type': contentType }) : c.json(body);
}

function jobView(state: BatchJobState, transcript?: Transcript) {
  const { spec } = state;
  const result = transcript && render(transcript, spec.params.responseFormat).body;
  return {
    id: spec.id,
    object: 'audio.job',
    task: spec.params.task,
    status: state.status,
    response_format: spec.params.responseFormat,
    progress: { segments_done: state.progress.done, segments_total: state.progress.total },
    created_at: Math.floor(spec.createdAt / 1000),
    ...(state.finishedAt ? { finished_at: Math.floor(state.finishedAt / 1000) } : {}),
    ...(result !== undefined ? { result } : {}),
    ...(state.error ? { error: state.error } : {}),
  };
}

export function mountAudio(app: Hono, deps: AudioRouteDeps): void {
  const limit = bodyLimit({
    maxSize: deps.maxUploadBytes,
    onError: (c) =>
      errorResponse(
        c,
        'file_too_large',
        `the request body exceeds ${deps.maxUploadBytes} bytes (EARSHOT_MAX_UPLOAD_BYTES); send long recordings compressed, or in parts`,
      ),
  });
  for (const [path, task] of ROUTES) {
    app.post(path, requireScope(deps.auth, 'batch'), limit, async (c) => {
      const refused = deps.admission();
      if (refused) return errorResponse(c, refused.code, refused.message);
      const form = parseMultipart(new Uint8Array(await c.req.arrayBuffer()), c.req.header('content-type') ?? '');
      const { audio, params } = await parseBatchForm(form, task);
      const pcm = await deps.batch.decode(audio, c.req.raw.signal);
      if (c.req.query('async') === 'true') {
        const spec = await deps.batch.submit(c.var.principal.id, pcm, params);
        const view = jobView({ spec, status: 'queued', progress: { done: 0, total: 0 } });
        return c.json(view, 202, { location: `/v1/jobs/${spec.id}` });
      }
      return sendTranscript(c, await deps.batch.run(pcm, params, c.req.raw.signal), params.responseFormat);
    });
  }

  app.get('/v1/jobs/:id', requireScope(deps.auth, 'batch'), async (c) => {
    // Job ids are UUIDs; anything else would name one of BullMQ's own keys (`stalled-check`, `meta`, …).
    const found = JOB_ID.test(c.req.param('id')) ? await deps.batch.status(c.req.param('id')) : undefined;
    // Another key's job is reported as missing, not forbidden: its existence is not the caller's business.
    if (!found || (deps.auth.enabled && found.state.spec.owner !== c.var.principal.id)) {
      return errorResponse(
        c,
        'unknown_job',
        `no job ${c.req.param('id')} (jobs are kept for a while after they finish, then forgotten)`,
      );
    }
    return c.json(jobView(found.state, found.transcript));
  });
}
