/**
 * The hallucination guard's rules, each on the output it exists for, with the real WebRTC VAD measuring the audio:
 * no-speech probability, too little voiced audio, too few words for the voiced audio (music), blocklisted phrases
 * per language, repetition loops and gzip compression.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Blocklist } from '../../../gpu-runners/guard/blocklist.ts';
import { guardFromConfig } from '../../../gpu-runners/guard/from-config.ts';
import {
  compressionRatio,
  HallucinationGuard,
  isLoop,
  type GuardOptions,
} from '../../../gpu-runners/guard/hallucination-guard.ts';
import { speechMeter } from '../../../gpu-runners/guard/speech-meter.ts';
import { words } from '../../../gpu-runners/guard/words.ts';
import { ConfigError, loadConfig } from '../../../shared/config.ts';
import { librivoxRecordings } from '../../support/librivox.ts';
import { musicLikeNoise } from '../../support/music.ts';

const speech = librivoxRecordings().find((r) => r.id.endsWith('0880'))!;
const silence = new Int16Array(3 * 16000);
let measureSpeech: (pcm: Int16Array) => number;
beforeAll(async () => {
  measureSpeech = await speechMeter(3);
});

const guard = (o: Partial<GuardOptions> = {}) =>
  new HallucinationGuard({
    noSpeechThreshold: 0.6,
    logprobThreshold: -1,
    maxCompressionRatio: 2.4,
    maxRepeats: 3,
    minSpeechMs: 250,
    minWordsPerSecond: 1,
    blocklist: new Blocklist(),
    measureSpeech,
    ...o,
  });
const judge = (
  text: string,
  o: Partial<GuardOptions> = {},
  extra: { language?: string; pcm?: Int16Array; noSpeechProb?: number; avgLogprob?: number; withheld?: string } = {},
) => guard(o).judge({ text, language: 'en', pcm: speech.pcm.subarray(0, 16000), ...extra }); // a second of speech unless told

describe('hallucination guard', () => {
  it('passes real speech with its own words, trimmed', () => {
    expect(judge(`  ${speech.reference} `, {}, { pcm: speech.pcm })).toEqual({ text: speech.reference });
  });

  it('no_speech: a likely no-speech token with unlikely text; or text the engine withheld itself', () => {
    expect(judge('you', {}, { noSpeechProb: 0.9, avgLogprob: -1.4 })).toMatchObject({
      text: '',
      reason: 'no_speech',
      suppressed: 'you',
    });
    expect(judge('he was not', {}, { noSpeechProb: 0.9, avgLogprob: -0.3 })).toEqual({ text: 'he was not' }); // confident text wins
    expect(judge('he was not', {}, { noSpeechProb: 0.5, avgLogprob: -1.4 })).toEqual({ text: 'he was not' });
    expect(judge('', {}, { withheld: ' Thank you.' })).toMatchObject({
      text: '',
      reason: 'no_speech',
      suppressed: 'Thank you.',
    });
    expect(judge('', {})).toEqual({ text: '' }); // nothing said, nothing suppressed
  });

  it('low_speech: text over audio the VAD hears almost no voice in', () => {
    expect(measureSpeech(silence)).toBe(0);
    expect(judge('the end', {}, { pcm: silence })).toMatchObject({ reason: 'low_speech' });
    expect(judge('the end', { minSpeechMs: 0, minWordsPerSecond: 0 }, { pcm: silence })).toEqual({ text: 'the end' });
  });

  it('sparse: a few words in seconds of music the VAD calls voiced (what pocketsphinx writes on it)', () => {
    const music = musicLikeNoise(14);
    expect(measureSpeech(music)).toBeGreaterThan(13_000);
    expect(judge("i'm in an i'm an", {}, { pcm: music })).toMatchObject({ reason: 'sparse' });
    // The same few words on a second of speech are a plausible utterance.
    expect(judge('he was not')).toEqual({ text: 'he was not' });
  });

  it('blocklist: known subtitle phrases, normalised, when they are most of the output', () => {
    expect(judge('Thanks for watching!')).toMatchObject({ reason: 'blocklist' });
    expect(judge('THANK YOU FOR WATCHING, everyone.')).toMatchObject({ reason: 'blocklist' });
    expect(judge('Subtitles by the Amara.org community')).toMatchObject({ reason: 'blocklist' });
    expect(judge('thanks for watching the match with me last night it was great')).toMatchObject({
      text: 'thanks for watching the match with me last night it was great',
    });
    // Ignoring the list lets the phrase through: this is the rule at work, not another one.
    expect(judge('Thanks for watching!', { blocklist: new Blocklist({}) })).toEqual({ text: 'Thanks for watching!' });
  });

  it('blocklist: per language, with a file replacing a language and "*" for all', () => {
    expect(judge('Gracias por ver el video.', {}, { language: 'es' })).toMatchObject({ reason: 'blocklist' });
    expect(judge('Gracias por ver el video.', {}, { language: 'en' })).toEqual({ text: 'Gracias por ver el video.' });
    expect(judge('Sous-titres réalisés par la communauté d’Amara.org', {}, { language: 'fr' })).toMatchObject({
      reason: 'blocklist',
    });
    expect(judge('字幕由Amara.org社区提供', {}, { language: 'zh' })).toMatchObject({ reason: 'blocklist' });
    const custom = Blocklist.withOverrides({ en: ['see you tomorrow'], '*': ['beep boop'] });
    expect(judge('See you tomorrow!', { blocklist: custom })).toMatchObject({ reason: 'blocklist' });
    expect(judge('Thanks for watching!', { blocklist: custom })).toEqual({ text: 'Thanks for watching!' }); // en replaced
    expect(judge('Gracias por ver', { blocklist: custom }, { language: 'es' })).toMatchObject({ reason: 'blocklist' }); // es kept
    expect(judge('beep boop', { blocklist: custom }, { language: 'de' })).toMatchObject({ reason: 'blocklist' });
  });

  it('repetition: a phrase looping over most of the output', () => {
    expect(judge('thank you thank you thank you thank you')).toMatchObject({ reason: 'repetition' });
    expect(judge('no no no')).toEqual({ text: 'no no no' });
    expect(
      isLoop(words('I told him no, no, no, no and then we walked home together through the park in the rain'), 3),
    ).toBe(false);
    expect(judge('thank you thank you thank you thank you', { maxRepeats: 0 })).toEqual({
      text: 'thank you thank you thank you thank you',
    });
  });

  it('compression: text that gzip shrinks more than 2.4 times (a long loop no phrase rule catches)', () => {
    const sentence = 'and then the committee decided that the proposal should be reviewed again next week.';
    const loop = Array.from({ length: 4 }, () => sentence).join(' ');
    expect(isLoop(words(loop), 3)).toBe(false); // 14-word phrase: longer than the repetition rule looks
    expect(compressionRatio(loop)).toBeGreaterThan(2.4);
    expect(judge(loop, { minWordsPerSecond: 0 })).toMatchObject({ reason: 'compression' });
    expect(compressionRatio(sentence)).toBeLessThan(2.4);
  });

  it('a bad blocklist file stops the start with a message naming EARSHOT_BLOCKLIST_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blocklist-'));
    const write = (name: string, body: string) => (writeFileSync(join(dir, name), body), join(dir, name));
    const bad = [
      write('a.json', '{"en": "thanks for watching"}'),
      write('b.json', '{not json'),
      write('c.json', '{"english": ["x"]}'),
      join(dir, 'missing.json'),
    ];
    for (const file of bad) {
      const start = guardFromConfig(loadConfig({ EARSHOT_BLOCKLIST_FILE: file }));
      await expect(start).rejects.toBeInstanceOf(ConfigError);
      await expect(start).rejects.toThrow(/EARSHOT_BLOCKLIST_FILE/);
    }
    const good = await guardFromConfig(
      loadConfig({ EARSHOT_BLOCKLIST_FILE: write('ok.json', '{"en": ["see you tomorrow"]}') }),
    );
    expect(good!.judge({ text: 'see you tomorrow', language: 'en', pcm: speech.pcm })).toMatchObject({
      reason: 'blocklist',
    });
    expect(await guardFromConfig(loadConfig({ EARSHOT_HALLUCINATION_GUARD: 'off' }))).toBeNull();
  });
});
