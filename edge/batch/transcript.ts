/**
 * A finished batch transcription and its renderings in OpenAI's response formats: `json` ({text}), `text`,
 * `srt`, `vtt` and `verbose_json` (with timed segments). Segments are the VAD's utterances, one each, with the
 * engine's token ids when it has them (Whisper). verbose_json omits
 * the per-segment scores Whisper reports (avg_logprob, compression_ratio, no_speech_prob): the engines here do not
 * produce them, and a made-up number would mislead whoever filters on it.
 */
import { toSrt } from '../../shared/captions/srt.ts';
import { toVtt } from '../../shared/captions/vtt.ts';
import type { ResponseFormat, Task } from './params.ts';

export interface TranscriptSegment {
  id: number;
  start: number;
  end: number;
  text: string;
  /** The engine's token ids for the text (Whisper); empty for engines without a vocabulary (sphinx) and translations. */
  tokens?: number[];
}

export interface Transcript {
  task: Task;
  /** ISO 639-1 of the text: the speech's language, or `en` for translations. */
  language: string;
  /** Seconds of audio. */
  duration: number;
  text: string;
  segments: TranscriptSegment[];
  temperature?: number;
}

/** OpenAI names languages in English, lower case ("english"). */
const languageName = (code: string): string =>
  new Intl.DisplayNames(['en'], { type: 'language' }).of(code)?.toLowerCase() ?? code;

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

export function render(transcript: Transcript, format: ResponseFormat): { body: string | object; contentType: string } {
  const usage = { type: 'duration', seconds: Math.ceil(transcript.duration) };
  switch (format) {
    case 'json':
      return { body: { text: transcript.text, usage }, contentType: 'application/json' };
    case 'text':
      return { body: `${transcript.text}\n`, contentType: 'text/plain; charset=utf-8' };
    case 'srt':
      return { body: toSrt(transcript.segments), contentType: 'application/x-subrip; charset=utf-8' };
    case 'vtt':
      return { body: toVtt(transcript.segments), contentType: 'text/vtt; charset=utf-8' };
    case 'verbose_json':
      return {
        body: {
          task: transcript.task,
          language: languageName(transcript.language),
          duration: round(transcript.duration),
          text: transcript.text,
          segments: transcript.segments.map((s) => ({
            id: s.id,
            // Whisper's seek is the segment's window offset in 10 ms frames.
            seek: Math.round(s.start * 100),
            start: round(s.start),
            end: round(s.end),
            text: s.text,
            tokens: s.tokens ?? [],
            temperature: transcript.temperature ?? 0,
          })),
          usage,
        },
        contentType: 'application/json',
      };
  }
}
