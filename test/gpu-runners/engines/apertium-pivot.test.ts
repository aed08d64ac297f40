/**
 * The offline default translates beyond Spanish: Debian's direct apertium pairs from English (Catalan, Galician,
 * Esperanto) and, through Spanish, what Debian pairs from Spanish (French, Portuguese, Italian). Measured on five
 * everyday sentences against human references: word error rate of each route beside the direct en→es pass the pivot
 * starts from (real apertium packages; see scripts/ensure-deps.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApertiumEngine } from '../../../gpu-runners/engines/apertium.ts';
import { PivotingApertium } from '../../../gpu-runners/engines/apertium-pivot.ts';
import { corpusWer } from '../../support/wer.ts';

const SENTENCES = [
  'The house is big.',
  'I would like a cup of coffee, please.',
  'Where is the train station?',
  'My brother lives in a small house near the river.',
  'Thank you all for coming tonight.',
];
const REFERENCES: Record<string, string[]> = {
  es: [
    'La casa es grande.',
    'Me gustaría una taza de café, por favor.',
    '¿Dónde está la estación de tren?',
    'Mi hermano vive en una casa pequeña cerca del río.',
    'Gracias a todos por venir esta noche.',
  ],
  fr: [
    'La maison est grande.',
    "Je voudrais une tasse de café, s'il vous plaît.",
    'Où est la gare ?',
    'Mon frère habite dans une petite maison près de la rivière.',
    "Merci à tous d'être venus ce soir.",
  ],
  pt: [
    'A casa é grande.',
    'Eu gostaria de uma xícara de café, por favor.',
    'Onde fica a estação de trem?',
    'Meu irmão mora numa casa pequena perto do rio.',
    'Obrigado a todos por virem esta noite.',
  ],
  it: [
    'La casa è grande.',
    'Vorrei una tazza di caffè, per favore.',
    "Dov'è la stazione ferroviaria?",
    'Mio fratello vive in una piccola casa vicino al fiume.',
    'Grazie a tutti per essere venuti stasera.',
  ],
  ca: [
    'La casa és gran.',
    "M'agradaria una tassa de cafè, si us plau.",
    "On és l'estació de tren?",
    'El meu germà viu en una casa petita a prop del riu.',
    'Gràcies a tots per venir aquesta nit.',
  ],
};

describe('apertium with Spanish as the pivot', () => {
  const engine = new PivotingApertium(new ApertiumEngine({}));
  beforeAll(() => engine.load());
  afterAll(() => engine.close());

  it('routes direct pairs directly and the rest through Spanish; pairs with no way are unsupported', () => {
    for (const target of ['es', 'ca', 'gl', 'eo']) expect(engine.route('en', target)).toEqual({ kind: 'direct' });
    for (const target of ['fr', 'pt', 'it']) expect(engine.route('en', target)).toEqual({ kind: 'pivot', via: 'es' });
    expect(engine.supports('en', 'ja')).toBe(false);
    expect(engine.supports('en', 'ro')).toBe(false); // Debian ships ro→es only
  });

  it('gives sensible French, Portuguese and Italian through Spanish (WER near the first leg’s own)', async () => {
    const wer: Record<string, number> = {};
    for (const [target, references] of Object.entries(REFERENCES)) {
      const out = await engine.translate(SENTENCES.map((text, i) => ({ id: String(i), text, source: 'en', target })));
      wer[target] = corpusWer(out.map((o, i) => ({ reference: references[i]!, hypothesis: o.text })));
      expect(out[0]!.text.toLowerCase()).toBe(references[0]!.toLowerCase()); // "The house is big." survives both legs
    }
    console.log(
      `apertium WER on 5 sentences: ${JSON.stringify(Object.fromEntries(Object.entries(wer).map(([k, v]) => [k, Math.round(v * 100) / 100])))}`,
    );
    // A second rule-based pass adds errors of its own, but stays in the range of the first.
    for (const target of ['fr', 'pt', 'it']) expect(wer[target]!).toBeLessThan(wer.es! + 0.3);
    for (const target of ['fr', 'pt', 'it']) expect(wer[target]!).toBeLessThan(0.8);
  });

  it('a mixed batch keeps its order: direct, pivoted and empty requests together', async () => {
    const out = await engine.translate([
      { id: 'a', text: 'The house is big.', source: 'en', target: 'fr' },
      { id: 'b', text: 'The house is big.', source: 'en', target: 'es' },
      { id: 'c', text: '', source: 'en', target: 'it' },
      { id: 'd', text: 'The house is big.', source: 'en', target: 'ca' },
    ]);
    expect(out.map((o) => [o.id, o.text])).toEqual([
      ['a', 'La maison est grande.'],
      ['b', 'La casa es grande.'],
      ['c', ''],
      ['d', 'La casa és gran.'],
    ]);
  });
});
