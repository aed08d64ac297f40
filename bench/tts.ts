/**
 * `npm run bench:tts`: the embedded voice (espeak-ng) speaking Spanish and English sentences in batches, as a TTS
 * runner does. Prints seconds of audio made per second of wall time (the real-time factor's inverse) and the time
 * to the first audio of a batch; writes JSON to bench/results/tts-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { EspeakEngine } from '../gpu-runners/tts/espeak.ts';

const SENTENCES: Record<string, string[]> = {
  es: [
    'él no era un joven mal dispuesto',
    'a menos que ser bastante frío de corazón y bastante egoísta sea estar mal dispuesto',
    'podría incluso haber sido hecho amable él mismo',
    'y el señor John Dashwood tuvo entonces tiempo de considerar cuánto podría estar prudentemente en su poder hacer por ellos',
  ],
  en: [
    'he was not an ill disposed young man',
    'unless to be rather cold hearted and rather selfish is to be ill disposed',
    'he might even have been made amiable himself',
    'and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them',
  ],
};

const engine = new EspeakEngine();
await engine.load();
const rows = [];
for (const [language, sentences] of Object.entries(SENTENCES)) {
  for (const batchSize of [1, 4]) {
    const batch = sentences.slice(0, batchSize).map((text, i) => ({ id: String(i), text, language }));
    const started = performance.now();
    const out = await engine.synthesize(batch);
    const wallS = (performance.now() - started) / 1000;
    const audioS = out.reduce((s, r) => s + r.pcm.length / r.sampleRate, 0);
    rows.push({
      language,
      batch: batchSize,
      chars: batch.reduce((s, r) => s + r.text.length, 0),
      audio_s: Number(audioS.toFixed(2)),
      wall_s: Number(wallS.toFixed(2)),
      audio_per_wall: Number((audioS / wallS).toFixed(1)),
    });
  }
}
console.table(rows);
const result = {
  bench: 'tts',
  engine: engine.name,
  at: new Date().toISOString(),
  load: loadavg().map((l) => Number(l.toFixed(2))),
  rows,
};
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/tts-${result.at.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${file}`);
