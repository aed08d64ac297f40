/**
 * Timed caption cues and the layout rules subtitle formats share: lines of at most ~42 characters, at most two
 * lines on screen at once (the common broadcast and streaming guideline). A longer text becomes several cues that
 * share its time in proportion to their length, so a reader never gets a wall of text.
 * No runtime-specific imports: the edge and clients (browsers, Workers) use the same writers.
 */

export interface Cue {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
  /** Who speaks it (diarization), for formats that can say so (WebVTT's `<v>` voice spans). */
  voice?: string;
}

export interface LayoutOptions {
  maxLineChars: number;
  maxLines: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { maxLineChars: 42, maxLines: 2 };

/** A cue ready to print: its text already broken into lines. */
export interface LaidOutCue {
  start: number;
  end: number;
  lines: string[];
  voice?: string;
}

/**
 * Breaks text into lines of at most `maxChars` at spaces. Whitespace (newlines included) collapses, since a blank
 * line would end an SRT cue early. A word longer than a line (a URL, unspaced scripts) is cut into pieces.
 */
export function wrapLines(text: string, maxChars: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while ([...word].length > maxChars) {
      if (line) lines.push(line);
      line = '';
      const chars = [...word];
      lines.push(chars.slice(0, maxChars).join(''));
      word = chars.slice(maxChars).join('');
    }
    if (!word) continue;
    if (!line) line = word;
    else if ([...line].length + 1 + [...word].length <= maxChars) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Lays out cues; empty ones are dropped, long ones split into consecutive cues of at most `maxLines` lines. */
export function layOut(cues: readonly Cue[], options: LayoutOptions = DEFAULT_LAYOUT): LaidOutCue[] {
  const out: LaidOutCue[] = [];
  for (const cue of cues) {
    const lines = wrapLines(cue.text, options.maxLineChars);
    if (lines.length === 0) continue;
    const groups: string[][] = [];
    for (let i = 0; i < lines.length; i += options.maxLines) groups.push(lines.slice(i, i + options.maxLines));
    const total = lines.reduce((n, l) => n + l.length, 0);
    const duration = Math.max(0, cue.end - cue.start);
    let start = cue.start;
    let done = 0;
    for (const [i, group] of groups.entries()) {
      done += group.reduce((n, l) => n + l.length, 0);
      // The last piece ends exactly at the cue's end, whatever rounding did to the others.
      const end = i === groups.length - 1 ? cue.end : cue.start + (duration * done) / total;
      out.push({ start, end, lines: group, ...(cue.voice ? { voice: cue.voice } : {}) });
      start = end;
    }
  }
  return out;
}

/** `HH:MM:SS<sep>mmm`, rounded to the millisecond first so 59.9996 s prints as 00:01:00.000, not 00:00:60.000. */
export function formatTimestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const totalSeconds = Math.floor(totalMs / 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${separator}${pad(ms, 3)}`;
}
