import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarshotError } from '../../../shared/errors.ts';
import { SphinxEngine, cleanHypothesis } from '../../../gpu-runners/engines/sphinx.ts';
import { wordErrors } from '../../support/wer.ts';
import { mulberry32 } from '../../../shared/random.ts';

const DATA = '/usr/share/pocketsphinx/test/data/librivox';

/** Finds the 'data' chunk rather than assuming a 44-byte header. */
function readWav(file: string): Int16Array {
  const buf = fs.readFileSync(file);
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'data') {
      const bytes = buf.subarray(off + 8, off + 8 + size);
      // Copy into an aligned buffer: Node's pooled Buffers may start at an odd offset.
      return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`no data chunk in ${file}`);
}

/** Reference transcripts, keyed by utterance id, without the <s> </s> markers. */
function readTranscripts(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(DATA, 'transcription'), 'utf8').split('\n')) {
    const m = /^(.*)\((\S+)\)\s*$/.exec(line.trim());
    if (m)
      map.set(
        m[2]!,
        m[1]!
          .replace(/<\/?s>/g, '')
          .trim()
          .replace(/\s+/g, ' '),
      );
  }
  return map;
}

const ids = [...readTranscripts().keys()];
const audio = new Map(ids.map((id) => [id, readWav(path.join(DATA, `${id}.wav`))]));
const req = (id: string, pcm = audio.get(id)!) => ({ id, pcm, partial: false });

describe('SphinxEngine', () => {
  const engine = new SphinxEngine({ decoders: 2 });
  beforeAll(() => engine.load(), 30_000);
  afterAll(() => engine.close());

  it('decodes the librivox utterances with a low word error rate', async () => {
    const refs = readTranscripts();
    expect(refs.size).toBe(5);
    const results = await engine.transcribe(ids.map((id) => req(id)));
    let errors = 0;
    let words = 0;
    for (const r of results) {
      const counted = wordErrors(refs.get(r.id)!, r.text);
      errors += counted.errors;
      words += counted.words;
    }
    const wer = errors / words;
    console.log(`sphinx WER ${(wer * 100).toFixed(1)}% (${errors}/${words})`);
    expect(results.find((r) => r.id.endsWith('0880'))!.text).toContain('young man');
    expect(wer).toBeLessThan(0.35);
  }, 60_000);

  it('returns batch results in request order, matching single decodes', async () => {
    const picked = [ids[3]!, ids[1]!, ids[4]!];
    const singles = [];
    for (const id of picked) singles.push((await engine.transcribe([req(id)]))[0]!);
    const batch = await engine.transcribe(picked.map((id, i) => ({ ...req(id), id: `r${i}` })));
    expect(batch.map((r) => r.id)).toEqual(['r0', 'r1', 'r2']);
    expect(batch.map((r) => r.text)).toEqual(singles.map((r) => r.text));
  }, 60_000);

  it('decodes an utterance the same whatever the decoder heard before (loud noise included)', async () => {
    // The front end's silence removal tracks a noise floor across utterances; with it on, this utterance's last
    // word changed after the decoder had heard noise. Decoders are shared by sessions, so that leaked one session's
    // audio into another's transcript (and made the chaos suite's transcripts differ from the fault-free run).
    const single = new SphinxEngine({ decoders: 1 });
    await single.load();
    try {
      const target = audio.get(ids[0]!)!.subarray(0, 16000 * 4);
      const [fresh] = await single.transcribe([req('t', target)]);
      const random = mulberry32(7);
      const noise = Int16Array.from({ length: 16000 * 3 }, () => Math.round((random() - 0.5) * 20000));
      await single.transcribe([req('noise', noise)]);
      const [after] = await single.transcribe([req('t', target)]);
      expect(after!.text).toBe(fresh!.text);
    } finally {
      await single.close();
    }
  }, 60_000);

  it('keeps the event loop responsive while decoding', async () => {
    const longest = ids.reduce((a, b) => (audio.get(a)!.length >= audio.get(b)!.length ? a : b));
    expect(audio.get(longest)!.length / 16000).toBeGreaterThan(6);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const started = Date.now();
      await engine.transcribe([req(longest)]);
      console.log(
        `sphinx decoded ${(audio.get(longest)!.length / 16000).toFixed(1)} s in ${Date.now() - started} ms; ${ticks} timer ticks`,
      );
      // A blocking decode of this length would allow at most one tick.
      expect(ticks).toBeGreaterThanOrEqual(5);
    } finally {
      clearInterval(timer);
    }
  }, 60_000);

  it('returns an empty string for silence and for no audio', async () => {
    const results = await engine.transcribe([req('zeros', new Int16Array(16000 * 2)), req('empty', new Int16Array(0))]);
    expect(results).toEqual([
      { id: 'zeros', text: '' },
      { id: 'empty', text: '' },
    ]);
  });

  it('stops before starting an utterance once aborted', async () => {
    const ac = new AbortController();
    ac.abort(new EarshotError('stt_failed', 'aborted by test'));
    await expect(engine.transcribe([req(ids[0]!)], ac.signal)).rejects.toThrow('aborted by test');
    // The pool is intact afterwards.
    expect((await engine.transcribe([req(ids[1]!)]))[0]!.text).toContain('young man');
  }, 30_000);

  it('rejects languages other than English', async () => {
    await expect(engine.transcribe([{ ...req(ids[1]!), language: 'fr' }])).rejects.toMatchObject({
      code: 'unsupported_language',
    });
  });
});

describe('SphinxEngine availability', () => {
  it('reports engine_unavailable when the model is missing', async () => {
    const engine = new SphinxEngine({ modelDir: '/nonexistent/model' });
    await expect(engine.load()).rejects.toMatchObject({
      code: 'engine_unavailable',
      message: expect.stringContaining('apt-get install pocketsphinx pocketsphinx-en-us'),
    });
  });

  it('reports engine_unavailable when the library is missing', async () => {
    const engine = new SphinxEngine({ pocketsphinxLibrary: 'libpocketsphinx-missing.so.9' });
    await expect(engine.load()).rejects.toMatchObject({ code: 'engine_unavailable' });
  });

  it('strips filler tokens and pronunciation variants', () => {
    expect(cleanHypothesis('<s> <sil> hello [NOISE] world(2) ++BREATH++ </s>')).toBe('hello world');
    expect(cleanHypothesis(null)).toBe('');
  });
});
