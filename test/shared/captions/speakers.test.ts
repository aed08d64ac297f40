import { describe, expect, it } from 'vitest';
import { namesSpeakers, toSpeakerText, withSpeakers } from '../../../shared/captions/speakers.ts';
import { toSrt } from '../../../shared/captions/srt.ts';
import { toVtt } from '../../../shared/captions/vtt.ts';

const cues = [
  { start: 0, end: 2, text: 'good morning', speaker: 1 },
  { start: 2, end: 4, text: 'hello <there>', speaker: 2 },
];

describe('speaker names in transcripts', () => {
  it('names speakers in txt, SRT and WebVTT voice spans', () => {
    expect(toSpeakerText(cues, true)).toBe('SPEAKER 1: good morning\nSPEAKER 2: hello <there>\n');
    expect(toVtt(withSpeakers(cues, 'vtt'))).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Speaker 1>good morning\n\n00:00:02.000 --> 00:00:04.000\n<v Speaker 2>hello &lt;there&gt;\n\n',
    );
    expect(toSrt(withSpeakers(cues, 'srt'))).toContain('00:00:00,000 --> 00:00:02,000\nSPEAKER 1: good morning\n');
  });

  it('auto names speakers only when more than one was heard', () => {
    expect(namesSpeakers(cues, 'auto')).toBe(true);
    expect(namesSpeakers([cues[0]!, { ...cues[1]!, speaker: 1 }], 'auto')).toBe(false);
    expect(namesSpeakers(cues, 'off')).toBe(false);
    expect(toSpeakerText(cues, false)).toBe('good morning\nhello <there>\n');
  });

  it('gives every piece of a long cue its voice span', () => {
    const long = [{ start: 0, end: 6, text: 'word '.repeat(30).trim(), voice: 'Speaker 2' }];
    const vtt = toVtt(long);
    expect(vtt.match(/<v Speaker 2>/g)?.length).toBe(vtt.match(/-->/g)?.length);
  });
});
