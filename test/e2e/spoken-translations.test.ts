/**
 * Spoken translations (TTS, issue 19): a session asking `start.speak: ['es']` hears each final's Spanish translation
 * as `translation_audio` (a WAV) after its text, through the real server (sphinx, apertium, espeak-ng). The audio is
 * checked as speech: its length and energy against the text for Spanish (no Spanish recogniser here), and for
 * English the same voice is run back through pocketsphinx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../shared/audio/wav.ts';
import type { ServerEvent } from '../../shared/protocol.ts';
import { EspeakEngine } from '../../gpu-runners/tts/espeak.ts';
import { SphinxEngine } from '../../gpu-runners/engines/sphinx.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { START, withPauses } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';
import { wordErrors } from '../support/wer.ts';

type Audio = Extract<ServerEvent, { type: 'translation_audio' }>;

/** Seconds of speech (10 ms frames within 35 dB of the loudest) and the RMS level (dBFS) over them. */
function speechOf(samples: Float32Array, rate: number): { speechSeconds: number; rmsDb: number } {
  const hop = rate / 100;
  const frames: number[] = [];
  for (let i = 0; i + hop <= samples.length; i += hop) {
    let e = 0;
    for (let j = i; j < i + hop; j++) e += samples[j]! ** 2;
    frames.push(e / hop);
  }
  const loudest = Math.max(...frames);
  const voiced = frames.filter((e) => e > loudest / 10 ** 3.5);
  return {
    speechSeconds: voiced.length / 100,
    rmsDb: 10 * Math.log10(voiced.reduce((s, e) => s + e, 0) / Math.max(1, voiced.length)),
  };
}

describe('spoken translations', { timeout: 180_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close(0);
  });

  it('speaks each Spanish translation after its text, as Spanish-length speech; others hear nothing new', async () => {
    const speaker = await TestSocket.open(server.wsUrl);
    speaker.sendJson({ ...START, speak: ['es'] });
    const ready = await speaker.waitFor('ready');
    expect(ready.speak).toEqual(['es']);
    // A viewer that asks for audio, and one that does not (it sees exactly the v1 events).
    const watch = `${server.server.url.replace('http', 'ws')}/v1/watch/${ready.session}`;
    const listener = await TestSocket.open(`${watch}?speak=es`);
    const reader = await TestSocket.open(watch);
    const recordings = librivoxRecordings().slice(0, 3);
    await streamPcm((f) => speaker.sendRaw(f), withPauses(recordings.map((r) => r.pcm)), 3);
    speaker.sendJson({ type: 'stop' });
    await speaker.waitFor('done', 0, 120_000);
    await listener.waitFor('done', 0, 30_000);
    await reader.waitFor('done', 0, 30_000);

    const translations = speaker.events.filter((e) => e.type === 'translation' && e.text);
    const audio = speaker.events.filter((e): e is Audio => e.type === 'translation_audio');
    expect(translations.length).toBeGreaterThanOrEqual(2);
    expect(audio.map((a) => a.seq)).toEqual(translations.map((t) => (t.type === 'translation' ? t.seq : 0)));
    for (const clip of audio) {
      const translation = speaker.events.find((e) => e.type === 'translation' && e.seq === clip.seq && e.lang === 'es');
      if (translation?.type !== 'translation') throw new Error('no translation');
      // After its translation, before done.
      expect(speaker.events.indexOf(translation)).toBeLessThan(speaker.events.indexOf(clip));
      const wav = decodeWav(Buffer.from(clip.audio, 'base64'));
      expect(wav.sampleRate).toBe(clip.sample_rate);
      expect(wav.samples[0]!.length / wav.sampleRate).toBeCloseTo(clip.duration, 2);
      // Spanish read aloud at espeak-ng's 160 words per minute: about 12–20 characters a second of speech.
      const { speechSeconds, rmsDb } = speechOf(wav.samples[0]!, wav.sampleRate);
      const chars = translation.text.length;
      expect(speechSeconds).toBeGreaterThan(chars / 25);
      expect(speechSeconds).toBeLessThan(chars / 8);
      expect(clip.duration).toBeLessThan(chars / 8 + 1);
      expect(rmsDb).toBeGreaterThan(-30);
    }
    expect(listener.events.filter((e) => e.type === 'translation_audio').map((e) => (e as Audio).audio)).toEqual(
      audio.map((a) => a.audio),
    );
    expect(reader.events.some((e) => e.type === 'translation_audio')).toBe(false);
    speaker.close();
    listener.close();
    reader.close();
  });

  it('says which languages it speaks in /v1/capabilities', async () => {
    const caps = (await (await fetch(`${server.server.url}/v1/capabilities`)).json()) as {
      tts: { languages: string[] };
    };
    expect(caps.tts.languages).toEqual(expect.arrayContaining(['es', 'ca', 'fr', 'en']));
  });

  it('refuses to speak a language that is not a target, and goes on', async () => {
    const speaker = await TestSocket.open(server.wsUrl);
    speaker.sendJson({ ...START, speak: ['fr'] });
    const ready = await speaker.waitFor('ready');
    expect(ready.speak).toEqual([]);
    expect(speaker.events.find((e) => e.type === 'error')).toMatchObject({ code: 'unsupported_voice' });
    speaker.close();
  });
});

describe('the espeak-ng voice', () => {
  it('says English that pocketsphinx understands', async () => {
    const voice = new EspeakEngine();
    await voice.load();
    const sphinx = new SphinxEngine();
    await sphinx.load();
    try {
      const texts = [
        'he was not an ill disposed young man',
        'go forward ten meters',
        'the quick brown fox jumps over the lazy dog',
        'please call me tomorrow morning',
      ];
      const spoken = await voice.synthesize(texts.map((text, i) => ({ id: String(i), text, language: 'en' })));
      expect(spoken.every((s) => s.sampleRate === 16000)).toBe(true);
      const heard = await sphinx.transcribe(spoken.map((s) => ({ id: s.id, pcm: s.pcm, partial: false })));
      // Pocketsphinx's model was trained on people, not synthesis: this voice scores 0.58 (espeak-ng's default
      // formant voice 0.81); noise or another language scores near 100 % errors.
      const errors = texts.reduce((sum, text, i) => sum + wordErrors(text, heard[i]!.text).errors, 0);
      const words = texts.reduce((sum, text) => sum + text.split(' ').length, 0);
      expect(errors / words).toBeLessThan(0.7);
      // And Spanish heard by the English recogniser is mostly errors: the check tells languages apart.
      const [spanish] = await voice.synthesize([
        { id: 'es', text: 'él no era un joven mal dispuesto', language: 'es' },
      ]);
      const [misheard] = await sphinx.transcribe([{ id: 'es', pcm: spanish!.pcm, partial: false }]);
      expect(wordErrors(texts[0]!, misheard!.text).errors / 8).toBeGreaterThan(0.6);
    } finally {
      await sphinx.close();
    }
  });

  it('bounds what it is given: a text starting with "-" is spoken, not read as an option; a long one is cut', async () => {
    const voice = new EspeakEngine({ timeoutMs: 10_000 });
    await voice.load();
    const [dash, long] = await voice.synthesize([
      { id: 'a', text: '--version hola', language: 'es' },
      { id: 'b', text: 'palabra '.repeat(400), language: 'es' },
    ]);
    expect(dash!.pcm.length / 16000).toBeGreaterThan(0.5);
    // 600 characters at most: about 75 words, well under the 400 given.
    expect(long!.pcm.length / 16000).toBeLessThan(60);
    await expect(voice.synthesize([{ id: 'c', text: 'hola', language: 'xx' }])).rejects.toMatchObject({
      code: 'unsupported_voice',
    });
  });
});
