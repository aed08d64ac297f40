/** SubRip (.srt): numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a blank line after each. */
import { DEFAULT_LAYOUT, formatTimestamp, layOut, type Cue, type LayoutOptions } from './cues.ts';

/** SRT has no escaping: an arrow in the text would read as a timing line to players, so it is shortened. */
const safe = (line: string) => line.replaceAll('-->', '->');

export function toSrt(cues: readonly Cue[], options: LayoutOptions = DEFAULT_LAYOUT): string {
  return layOut(cues, options)
    .map(
      (cue, i) =>
        `${i + 1}\n${formatTimestamp(cue.start, ',')} --> ${formatTimestamp(cue.end, ',')}\n${cue.lines.map(safe).join('\n')}\n\n`,
    )
    .join('');
}
