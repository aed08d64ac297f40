/**
 * WebVTT (.vtt): a `WEBVTT` header, then cues `HH:MM:SS.mmm --> HH:MM:SS.mmm`. Cue text is HTML-like, so `&`, `<`
 * and `>` are escaped; escaping `>` also keeps a literal "-->" from being read as a timing line. A cue with a
 * `voice` (its speaker) opens with a voice span, `<v Speaker 1>`, which players show or style per speaker.
 */
import { DEFAULT_LAYOUT, formatTimestamp, layOut, type Cue, type LayoutOptions } from './cues.ts';

const escape = (line: string): string => line.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function toVtt(cues: readonly Cue[], options: LayoutOptions = DEFAULT_LAYOUT): string {
  const body = layOut(cues, options)
    .map(
      (cue) =>
        `${formatTimestamp(cue.start, '.')} --> ${formatTimestamp(cue.end, '.')}\n${cue.voice ? `<v ${escape(cue.voice)}>` : ''}${cue.lines.map(escape).join('\n')}\n\n`,
    )
    .join('');
  return `WEBVTT\n\n${body}`;
}
