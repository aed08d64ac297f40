/**
 * Transcribes a whole recording through the realtime pipeline: the VAD segmenter cuts it into utterances, each
 * becomes a `final` STT job of a batch session (`batch-<job>`) on the same queue as live sessions, so runners batch
 * file and live work together, and the session's result log comes back through a CaptionSequencer, exactly as a
 * live session's does (ordering, redelivered duplicates, translations owed).
 *
 * Jobs are fed through a window: at most WINDOW of a file's utterances wait in the queue at once, so a long file
 * cannot stand in front of live captions, which share the queue's "final" lane.
 */
import { EarshotError } from '../../shared/errors.ts';
import { sttJobId, type SttJob } from '../../shared/queue/jobs.ts';
import type { ResultLog, SttQueue } from '../../shared/queue/ports.ts';
import {
  UtteranceSegmenter,
  type SegmenterEvent,
  type SegmenterOptions,
  type SpeechDetector,
} from '../../shared/vad/segmenter.ts';
import { CaptionSequencer } from '../realtime/caption-sequencer.ts';
import type { Capabilities } from '../realtime/session.ts';
import type { Task } from './params.ts';
import type { Transcript, TranscriptSegment } from './transcript.ts';

const SAMPLE_RATE = 16000;
const WINDOW = 8;

export interface TranscriberDeps {
  sttQueue: Pick<SttQueue, 'add'>;
  results: Pick<ResultLog, 'subscribe'>;
  createVad: () => SpeechDetector & { close(): void };
  segmenter: Omit<SegmenterOptions, 'sampleRate' | 'frameMs'>;
  capabilities: Capabilities;
}

export interface TranscribeRequest {
  /** The job id; the batch session is `batch-<id>`. */
  id: string;
  /** 16 kHz mono. */
  pcm: Int16Array;
  task: Task;
  language?: string;
  temperature?: number;
}

type Utterance = Extract<SegmenterEvent, { type: 'utterance' }>;

/** The language to transcribe and the translation target (OpenAI's translations endpoint writes English). */
export function plan(
  capabilities: Capabilities,
  task: Task,
  requested?: string,
): { language: string; targets: string[] } {
  const language = requested ?? capabilities.defaultLanguage;
  if (!capabilities.sttLanguages.includes(language)) {
    throw new EarshotError(
      'unsupported_language',
      `language "${language}" is not supported; available: ${capabilities.sttLanguages.join(', ')}`,
    );
  }
  if (task === 'transcribe' || language === 'en') return { language, targets: [] };
  if (!capabilities.translates(language, 'en'))
    throw new EarshotError('unsupported_target', `no translation from ${language} to English is available`);
  return { language, targets: ['en'] };
}

/** Audio fed to the VAD between yields to the event loop: ~2 ms of work, so live sessions wait no longer. */
const SEGMENT_STEP = SAMPLE_RATE;

/**
 * Cuts the recording into utterances a second at a time, yielding to the event loop in between: the VAD is the
 * edge's own (WASM, not shareable with a worker thread), and an hour of audio is seconds of it.
 */
async function segment(deps: TranscriberDeps, pcm: Int16Array): Promise<Utterance[]> {
  const vad = deps.createVad();
  try {
    const segmenter = new UtteranceSegmenter(vad, {
      ...deps.segmenter,
      partialIntervalMs: 0,
      sampleRate: SAMPLE_RATE,
      frameMs: 30,
    });
    const events: SegmenterEvent[] = [];
    for (let at = 0; at < pcm.length; at += SEGMENT_STEP) {
      events.push(...segmenter.feed(pcm.subarray(at, at + SEGMENT_STEP)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    events.push(...segmenter.finish());
    return events.filter((e): e is Utterance => e.type === 'utterance');
  } finally {
    vad.close();
  }
}

export async function transcribe(
  deps: TranscriberDeps,
  request: TranscribeRequest,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<Transcript> {
  const { language, targets } = plan(deps.capabilities, request.task, request.language);
  const utterances = await segment(deps, request.pcm);
  const session = `batch-${request.id}`;
  const sequencer = new CaptionSequencer();
  sequencer.expectSegments(utterances.length);
  const finals = new Map<number, string>();
  const translations = new Map<number, string>();
  /** Each final's token ids, as its runner published them (the latest revision's; none from engines without). */
  const tokens = new Map<number, number[]>();
  const failures: { code: EarshotError['code']; message: string }[] = [];
  let enqueued = 0;
  options.onProgress?.(0, utterances.length);

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      unsubscribe?.();
      options.signal?.removeEventListener('abort', aborted);
      if (err) reject(err);
      else resolve();
    };
    const aborted = () => finish(new EarshotError('internal', 'the request was cancelled'));
    const feed = () => {
      enqueued = Math.max(enqueued, sequencer.released);
      while (!settled && enqueued < utterances.length && enqueued - sequencer.released < WINDOW) {
        const u = utterances[enqueued++]!;
        deps.sttQueue.add(job(session, u, language, targets)).catch((err: unknown) => {
          finish(
            new EarshotError(
              'queue_unavailable',
              `audio from ${(u.startSample / SAMPLE_RATE).toFixed(2)} s could not be queued: ${(err as Error).message}`,
            ),
          );
        });
      }
    };
    options.signal?.addEventListener('abort', aborted, { once: true });
    if (options.signal?.aborted) return aborted();
    // A job redone after its edge died finds the results of its first run already in the log: the sequencer
    // takes them as it would redelivered ones, and only the missing utterances are queued again.
    unsubscribe = deps.results.subscribe(session, '0', (entry) => {
      const before = sequencer.released;
      // The batch keeps each segment's first final (no revisions, as for v1 clients): its tokens go with its text.
      if (entry.result.type === 'final' && (entry.result.rev ?? 1) === 1)
        tokens.set(entry.result.seq, entry.result.tokens ?? []);
      for (const event of sequencer.accept(entry.result)) {
        if (event.type === 'final') finals.set(event.seq, event.text);
        else if (event.type === 'translation') translations.set(event.seq, event.text);
        else if (event.type === 'error')
          failures.push({ code: event.code, message: `segment ${event.seq ?? '?'}: ${event.message}` });
      }
      if (sequencer.released !== before) options.onProgress?.(sequencer.released, utterances.length);
      if (sequencer.complete) finish();
      else feed();
    });
    if (settled)
      unsubscribe(); // the log delivered everything during subscribe
    else if (sequencer.complete)
      finish(); // nothing to transcribe: silence
    else feed();
  });

  if (failures.length > 0) {
    throw new EarshotError(
      failures[0]!.code,
      `${failures.length} of ${utterances.length} segments failed: ${failures
        .slice(0, 3)
        .map((f) => f.message)
        .join('; ')}`,
    );
  }
  const segments: TranscriptSegment[] = [];
  for (const u of utterances) {
    const text = (targets.length > 0 ? translations.get(u.segment) : finals.get(u.segment))?.trim();
    // Token ids are the transcription's; a translated segment's text has none.
    const ids = targets.length > 0 ? [] : (tokens.get(u.segment) ?? []);
    if (text)
      segments.push({
        id: segments.length,
        start: u.startSample / SAMPLE_RATE,
        end: u.endSample / SAMPLE_RATE,
        text,
        tokens: ids,
      });
  }
  return {
    task: request.task,
    language: targets[0] ?? language,
    duration: request.pcm.length / SAMPLE_RATE,
    text: segments.map((s) => s.text).join(' '),
    segments,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
}

function job(session: string, u: Utterance, language: string, targets: string[]): SttJob {
  return {
    id: sttJobId(session, u.segment, 'final'),
    session,
    segment: u.segment,
    kind: 'final',
    pcm: u.pcm,
    language,
    start: u.startSample / SAMPLE_RATE,
    end: u.endSample / SAMPLE_RATE,
    targets,
    enqueuedAt: Date.now(),
    withTokens: true,
    // A file is decoded once, in full windows: a fitted first pass and its correction would only cost twice.
    window: 'full',
  };
}
