/**
 * `npm run bench:diarization`: the embedded diarizer (MFCC voiceprints + online clustering) on two-speaker
 * sessions of real audio (bench/diarization/corpus.ts). Prints, per scenario, the utterance-level diarization
 * error rate (speaker confusion only: shared/diarization/utterance-der.ts), speakers found, and the voiceprint
 * time per second of audio; writes JSON to bench/results/diarization-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { voiceprint } from '../gpu-runners/diarization/voiceprint.ts';
import { SpeakerClusters } from '../shared/diarization/speaker-clusters.ts';
import { utteranceDer } from '../shared/diarization/utterance-der.ts';
import { SCENARIOS, scenario } from './diarization/corpus.ts';

const rows = SCENARIOS.map((name) => {
  const utterances = scenario(name);
  const clusters = new SpeakerClusters();
  let embedMs = 0;
  const labelled = utterances.map((u) => {
    const started = performance.now();
    const voice = voiceprint(u.pcm);
    embedMs += performance.now() - started;
    const seconds = u.pcm.length / 16000;
    return { seconds, reference: u.speaker, hypothesis: clusters.assign(voice, seconds) };
  });
  const score = utteranceDer(labelled);
  const audioSeconds = labelled.reduce((s, u) => s + u.seconds, 0);
  return {
    scenario: name,
    utterances: utterances.length,
    audio_s: Number(audioSeconds.toFixed(1)),
    reference_speakers: score.referenceSpeakers,
    speakers_found: score.hypothesisSpeakers,
    der_pct: Number((score.der * 100).toFixed(1)),
    embed_ms_per_audio_s: Number((embedMs / audioSeconds).toFixed(2)),
    labels: labelled.map((u) => `${u.reference}:${u.hypothesis}`).join(' '),
  };
});

console.table(rows.map(({ labels: _, ...row }) => row));
for (const row of rows) console.log(`${row.scenario}: ${row.labels}`);
const result = {
  bench: 'diarization',
  engine: 'mfcc',
  at: new Date().toISOString(),
  load: loadavg().map((l) => Number(l.toFixed(2))),
  rows,
};
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/diarization-${result.at.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${file}`);
