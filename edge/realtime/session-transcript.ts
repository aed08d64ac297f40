/**
 * A session's captions so far, read from its result log through a CaptionSequencer: what the speaker was sent (or
 * will be), in order, without duplicates, in the spoken language and each target. Works during a session (what is
 * final so far) and after it (until the log expires), on any edge, since the log is the source.
 */
import type { ResultLog } from '../../shared/queue/ports.ts';
import type { Cue } from '../../shared/captions/cues.ts';
import { CaptionSequencer } from './caption-sequencer.ts';

export interface CaptionLine extends Cue {
  seq: number;
  /** Who spoke (diarization), 1, 2, …, when the runners gave finals voiceprints. */
  speaker?: number;
}

export interface SessionCaptions {
  /** Finals in seq order. */
  finals: CaptionLine[];
  /** Per target language, the translations that have arrived, timed by their finals. */
  translations: Map<string, CaptionLine[]>;
  /** The speaker stopped and every final and translation is in. */
  complete: boolean;
}

/** Reading stops at the log's length when reading began, or after `timeoutMs` with what arrived by then. */
export async function readSessionCaptions(
  results: Pick<ResultLog, 'subscribe' | 'length'>,
  session: string,
  timeoutMs = 5000,
): Promise<SessionCaptions> {
  // With revisions: an export holds each caption's latest text, corrections included.
  const sequencer = new CaptionSequencer(0, { revisions: true, speakers: true });
  const finals: CaptionLine[] = [];
  const bySeq = new Map<number, CaptionLine>();
  const translations = new Map<string, CaptionLine[]>();
  const length = await results.length(session);
  let seen = 0;
  await new Promise<void>((resolve) => {
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    unsubscribe = results.subscribe(session, '0', (entry) => {
      if (done) return;
      seen += 1;
      for (const event of sequencer.accept(entry.result)) {
        if (event.type === 'final') {
          const line: CaptionLine = {
            seq: event.seq,
            start: event.start,
            end: event.end,
            text: event.text,
            ...(event.speaker ? { speaker: event.speaker } : {}),
          };
          const held = bySeq.get(event.seq);
          if (held)
            Object.assign(held, line); // a correction replaces its caption in place
          else finals.push(line);
          bySeq.set(event.seq, held ?? line);
        } else if (event.type === 'translation') {
          const final = bySeq.get(event.seq);
          if (!final) continue;
          const lines = translations.get(event.lang) ?? [];
          const at = lines.findIndex((l) => l.seq === event.seq);
          if (at >= 0) lines[at] = { ...final, text: event.text };
          else lines.push({ ...final, text: event.text });
          translations.set(event.lang, lines);
        }
      }
      if (seen >= length) finish();
    });
    if (done) unsubscribe();
    else if (seen >= length) finish();
  });
  return { finals, translations, complete: sequencer.complete };
}
