/**
 * Speaker names in transcripts (diarization): `SPEAKER 1:` before a plain-text or SRT line, `<v Speaker 1>` in
 * WebVTT. A transcript names speakers when asked, or (`auto`) when more than one was heard: a one-voice transcript
 * reads as it always did.
 */
import type { Cue } from './cues.ts';

export type SpeakerNaming = 'auto' | 'on' | 'off';

export interface SpokenCue extends Cue {
  speaker?: number;
}

export function namesSpeakers(cues: readonly SpokenCue[], naming: SpeakerNaming): boolean {
  if (naming !== 'auto') return naming === 'on';
  return new Set(cues.flatMap((c) => (c.speaker === undefined ? [] : [c.speaker]))).size > 1;
}

/** Plain text: one line per caption, `SPEAKER n: ` before it when speakers are named. */
export function toSpeakerText(cues: readonly SpokenCue[], named: boolean): string {
  return cues.map((c) => `${named && c.speaker ? `SPEAKER ${c.speaker}: ` : ''}${c.text}\n`).join('');
}

/** Cues for SRT (the name joins the text, since SRT has no voice markup) or WebVTT (a `<v>` voice span). */
export function withSpeakers(cues: readonly SpokenCue[], format: 'srt' | 'vtt'): Cue[] {
  return cues.map(({ start, end, text, speaker }) => {
    if (!speaker) return { start, end, text };
    return format === 'srt'
      ? { start, end, text: `SPEAKER ${speaker}: ${text}` }
      : { start, end, text, voice: `Speaker ${speaker}` };
  });
}
