/**
 * The batch transcriber against the in-process queue and result log, with a scripted runner: utterances become
 * `final` jobs of one batch session, at most 8 wait in the queue at once, results arriving out of order come back
 * in order, translations are asked for only when the speech is not English, and a failed segment fails the file.
 */
import { describe, expect, it } from 'vitest';
import { EarshotError } from '../../../shared/errors.ts';
import type { SttJob } from '../../../shared/queue/jobs.ts';
import { createMemorySttQueue } from '../../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../../shared/queue/memory-result-log.ts';
import type { SpeechDetector } from '../../../shared/vad/segmenter.ts';
import { plan, transcribe, type TranscriberDeps } from '../../../edge/batch/transcriber.ts';

/** Loud frames are speech: enough for the segmenter, no WASM needed. */
const energyVad = (): SpeechDetector & { close(): void } => ({
  frameSamples: 480,
  isSpeech: (frame) => frame.some((s) => Math.abs(s) > 1000),
  close: () => undefined,
});

/** `count` one-second tone bursts, each followed by a second of silence. */
function bursts(count: number): Int16Array {
  const pcm = new Int16Array(count * 32000);
  for (let b = 0; b < count; b++)
    for (let i = 0; i < 16000; i++) pcm[b * 32000 + i] = Math.round(8000 * Math.sin(i / 5));
  return pcm;
}

function harness(options: { languages?: string[]; translates?: boolean; fail?: number } = {}) {
  const queue = createMemorySttQueue();
  const results = new MemoryResultLog();
  let outstanding = 0;
  let most = 0;
  const jobs: SttJob[] = [];
  const deps: TranscriberDeps = {
    sttQueue: {
      add: async (job) => {
        jobs.push(job);
        outstanding += 1;
        most = Math.max(most, outstanding);
        await queue.add(job);
      },
    },
    results,
    createVad: energyVad,
    segmenter: { silenceMs: 300, maxUtteranceMs: 15000, preRollMs: 0, minSpeechMs: 200, partialIntervalMs: 0 },
    capabilities: {
      sttLanguages: options.languages ?? ['en'],
      defaultLanguage: 'en',
      translates: () => options.translates ?? false,
    },
  };
  // A runner that answers each batch in reverse order, like several runners finishing out of order.
  const runner = (async () => {
    for (;;) {
      const batch = await queue.take(4);
      if (batch.length === 0) return;
      for (const job of batch.reverse()) {
        outstanding -= 1;
        await queue.complete(job);
        if (job.segment === options.fail) {
          await results.append(job.session, {
            type: 'error',
            code: 'stt_failed',
            message: 'engine crashed',
            seq: job.segment,
          });
          continue;
        }
        await results.append(job.session, {
          type: 'final',
          seq: job.segment,
          text: `words ${job.segment}`,
          start: job.start,
          end: job.end,
          targets: job.targets,
        });
        for (const lang of job.targets)
          await results.append(job.session, {
            type: 'translation',
            seq: job.segment,
            lang,
            text: `english ${job.segment}`,
          });
      }
    }
  })();
  return { deps, jobs, most: () => most, close: async () => (await queue.close(), await runner) };
}

describe('transcribe', () => {
  it('queues one final job per utterance, at most 8 at a time, and returns the segments in order with times', async () => {
    const h = harness();
    const progress: number[] = [];
    const transcript = await transcribe(
      h.deps,
      { id: 'job1', pcm: bursts(20), task: 'transcribe' },
      { onProgress: (done) => progress.push(done) },
    );
    await h.close();
    expect(h.jobs).toHaveLength(20);
    expect(new Set(h.jobs.map((j) => j.session))).toEqual(new Set(['batch-job1']));
    expect(h.jobs.every((j) => j.kind === 'final' && j.targets.length === 0 && j.language === 'en')).toBe(true);
    expect(h.most()).toBeLessThanOrEqual(8);
    expect(transcript.segments.map((s) => s.text)).toEqual(Array.from({ length: 20 }, (_, i) => `words ${i + 1}`));
    // The second burst starts at 2 s; the segmenter's trigger window reaches a few frames before it.
    expect(transcript.segments[1]!.start).toBeGreaterThan(1.8);
    expect(transcript.segments[1]!.start).toBeLessThanOrEqual(2);
    expect(transcript.duration).toBe(40);
    expect(transcript.text.startsWith('words 1 words 2 ')).toBe(true);
    expect(progress.at(-1)).toBe(20);
  });

  it('finishes at once for silence', async () => {
    const h = harness();
    expect(await transcribe(h.deps, { id: 'quiet', pcm: new Int16Array(32000), task: 'transcribe' })).toMatchObject({
      text: '',
      segments: [],
    });
    await h.close();
  });

  it('translates into English only when the speech is not English', async () => {
    const h = harness({ languages: ['en', 'de'], translates: true });
    const german = await transcribe(h.deps, { id: 'de', pcm: bursts(2), task: 'translate', language: 'de' });
    expect(german).toMatchObject({ task: 'translate', language: 'en', text: 'english 1 english 2' });
    const english = await transcribe(h.deps, { id: 'en', pcm: bursts(2), task: 'translate', language: 'en' });
    expect(english.text).toBe('words 1 words 2');
    await h.close();
  });

  it('fails the file with the segment error when a segment could not be transcribed', async () => {
    const h = harness({ fail: 2 });
    await expect(transcribe(h.deps, { id: 'bad', pcm: bursts(3), task: 'transcribe' })).rejects.toMatchObject({
      code: 'stt_failed',
      message: expect.stringMatching(/1 of 3 segments failed: segment 2: /),
    });
    await h.close();
  });
});

describe('plan', () => {
  const capabilities = {
    sttLanguages: ['en', 'de'],
    defaultLanguage: 'en',
    translates: (s: string, t: string) => s === 'de' && t === 'en',
  };
  it('picks the default language and refuses what the engines cannot do', () => {
    expect(plan(capabilities, 'transcribe')).toEqual({ language: 'en', targets: [] });
    expect(plan(capabilities, 'translate', 'de')).toEqual({ language: 'de', targets: ['en'] });
    expect(() => plan(capabilities, 'transcribe', 'fr')).toThrow(EarshotError);
    expect(() => plan({ ...capabilities, translates: () => false }, 'translate', 'de')).toThrow(
      /no translation from de to English/,
    );
  });
});
