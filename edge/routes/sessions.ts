/**
 * `GET /v1/sessions/:id/transcript?format=srt|vtt|json|txt&lang=xx`: a realtime session's captions as a file,
 * during the session (what is final so far) and after it, until the session expires
 * (EARSHOT_SESSION_RETENTION_SECONDS). `lang` is the spoken language (the default) or one of the session's
 * targets. Needs the `watch` or `realtime` scope and the session's own key (or its tokens): a token bound to a
 * session reads only that one, and no key reads another key's sessions.
 */
import type { Hono } from 'hono';
import { toSrt } from '../../shared/captions/srt.ts';
import { toVtt } from '../../shared/captions/vtt.ts';
import { namesSpeakers, toSpeakerText, withSpeakers, type SpeakerNaming } from '../../shared/captions/speakers.ts';
import { isSessionId } from '../../shared/protocol.ts';
import type { ResultLog, SessionStore } from '../../shared/queue/ports.ts';
import { Authenticator } from '../auth/authenticator.ts';
import { mayUseSession } from '../auth/session-access.ts';
import { requireScope } from '../auth/middleware.ts';
import { errorResponse } from '../http-errors.ts';
import { readSessionCaptions } from '../realtime/session-transcript.ts';

export interface SessionRouteDeps {
  auth: Authenticator;
  store: Pick<SessionStore, 'get'>;
  results: Pick<ResultLog, 'subscribe' | 'length'>;
}

const FORMATS = ['srt', 'vtt', 'json', 'txt'] as const;
type Format = (typeof FORMATS)[number];
const TYPES: Record<Exclude<Format, 'json'>, string> = {
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};

export function mountSessions(app: Hono, deps: SessionRouteDeps): void {
  app.get('/v1/sessions/:id/transcript', requireScope(deps.auth, 'watch', 'realtime'), async (c) => {
    const id = c.req.param('id');
    const format = (c.req.query('format') ?? 'json') as Format;
    if (!FORMATS.includes(format))
      return errorResponse(c, 'invalid_request', `format must be one of ${FORMATS.join(', ')}`);
    if (!Authenticator.canAccessSession(c.var.principal, id))
      return errorResponse(c, 'forbidden', `this token is bound to another session`);
    const meta = isSessionId(id) ? await deps.store.get(id) : undefined;
    if (!meta) return errorResponse(c, 'unknown_session', `session ${id} does not exist or has expired`);
    if (!mayUseSession(c.var.principal, meta))
      return errorResponse(c, 'forbidden', `session ${id} belongs to another API key`);
    const lang = c.req.query('lang') ?? meta.language;
    if (lang !== meta.language && !meta.targets.includes(lang)) {
      return errorResponse(
        c,
        'unsupported_target',
        `session ${id} has captions in ${[meta.language, ...meta.targets].join(', ')}, not "${lang}"`,
      );
    }
    const naming = (c.req.query('speakers') ?? 'auto') as SpeakerNaming;
    if (!['auto', 'on', 'off'].includes(naming))
      return errorResponse(c, 'invalid_request', 'speakers must be auto, on or off');
    const captions = await readSessionCaptions(deps.results, id);
    const heard = lang === meta.language ? captions.finals : (captions.translations.get(lang) ?? []);
    // Speakers are named when asked, or when more than one was heard; otherwise the transcript reads as before.
    const named = namesSpeakers(heard, naming);
    const lines = named ? heard : heard.map(({ speaker: _, ...line }) => line);
    if (format === 'json') {
      return c.json({
        session: id,
        language: lang,
        source_language: meta.language,
        complete: captions.complete,
        segments: lines,
        ...(meta.summary ? { summary: meta.summary } : {}),
      });
    }
    const body =
      format === 'srt'
        ? toSrt(withSpeakers(lines, 'srt'))
        : format === 'vtt'
          ? toVtt(withSpeakers(lines, 'vtt'))
          : toSpeakerText(lines, named);
    return c.body(body, 200, {
      'content-type': TYPES[format],
      'content-disposition': `inline; filename="${id}.${lang}.${format}"`,
    });
  });
}
