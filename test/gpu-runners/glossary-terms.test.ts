/** Glossary terms through MT (placeholders, with real Apertium), their spelling after STT, and the glossary limits. */
import { afterAll, describe, expect, it } from 'vitest';
import { ApertiumEngine } from '../../gpu-runners/engines/apertium.ts';
import { asArpabet, espeakToArpabet, Pronouncer } from '../../gpu-runners/engines/sphinx-pronounce.ts';
import { shieldTerms, spellTerms } from '../../gpu-runners/glossary-terms.ts';
import { EarshotError } from '../../shared/errors.ts';
import { checkGlossary, Glossary, glossaryForTarget, mergeGlossaries } from '../../shared/glossary.ts';

const apertium = new ApertiumEngine();
afterAll(() => apertium.close());

async function translate(text: string, entries: { term: string; translation?: string }[]): Promise<string> {
  const shielded = shieldTerms(text, entries);
  const [out] = await apertium.translate([{ id: '1', text: shielded.text, source: 'en', target: 'es' }]);
  return shielded.restore(out!.text);
}

describe('shieldTerms', () => {
  it('replaces terms case-insensitively as whole words, longest first, the same term by the same placeholder', () => {
    const entries = [{ term: 'Zorbax' }, { term: 'Zorbax Pro', translation: 'Zorbax Profesional' }];
    const s = shieldTerms('Zorbax beats the zorbax  PRO; zorbaxes and xzorbax stay.', entries);
    expect(s.text).toBe('7301 beats the 7302; zorbaxes and xzorbax stay.');
    expect(s.restore('7301 vence al 7302')).toBe('Zorbax vence al Zorbax Profesional');
  });

  it('never uses a number the text already contains', () => {
    const s = shieldTerms('7301 units of Zorbax', [{ term: 'Zorbax', translation: 'Zórbax' }]);
    expect(s.text).toBe('7301 units of 7302');
    expect(s.restore('7301 unidades de 7302')).toBe('7301 unidades de Zórbax');
  });

  it('through real Apertium: the fixed translation at the start, in the middle and repeated', async () => {
    const entries = [{ term: 'John', translation: 'Juan' }, { term: 'Zorbax' }];
    const text = 'John bought the Zorbax system. The zorbax works and john is happy.';
    const plain = (await apertium.translate([{ id: '1', text, source: 'en', target: 'es' }]))[0]!.text;
    expect(plain).not.toContain('Juan'); // what the glossary changes
    const out = await translate(text, entries);
    expect(out.match(/Juan/g)).toHaveLength(2);
    expect(out.match(/Zorbax/g)).toHaveLength(2);
    expect(out).toMatch(/^Juan /);
    expect(out).not.toMatch(/\d/);
  });

  it('#14.10 a term that Unicode case folding matches but toLowerCase does not (conſider, Kelvin sign) is shielded, not a crash', async () => {
    const entries = [{ term: 'conſider', translation: 'considerar' }, { term: '\u212Aelvin' }];
    const s = shieldTerms('We consider Kelvin.', entries);
    expect(s.text).toBe('We 7301 7302.');
    expect(s.restore('Nosotros 7301 7302.')).toBe('Nosotros considerar \u212Aelvin.');
    // The whole MT path, through real Apertium: a translation, no placeholder left behind.
    const out = await translate('I consider the plan good.', entries);
    expect(out).toContain('considerar');
    expect(out).not.toMatch(/\d/);
    expect(spellTerms('we consider it', entries)).toBe('we conſider it');
  });

  it('leaves text without terms alone', () => {
    expect(shieldTerms('nothing here', [{ term: 'Zorbax' }]).text).toBe('nothing here');
  });
});

describe('spellTerms', () => {
  it('writes terms as the glossary spells them, multi-word terms included', () => {
    expect(
      spellTerms('and mr john dashwood met the zorbax pro team', [{ term: 'Dashwood' }, { term: 'Zorbax Pro' }]),
    ).toBe('and mr john Dashwood met the Zorbax Pro team');
  });
});

describe('glossary schema and limits', () => {
  it('accepts terms as strings or objects and merges a session glossary over the key default', () => {
    const key = Glossary.parse(['Zorbax', { term: 'John', translations: { es: 'Juan' } }]);
    const own = Glossary.parse([{ term: 'john', translations: { es: 'Juanito' } }]);
    const merged = mergeGlossaries(key, own);
    expect(merged).toEqual([{ term: 'Zorbax' }, { term: 'john', translations: { es: 'Juanito' } }]);
    expect(glossaryForTarget(merged, 'es-MX')).toEqual([{ term: 'Zorbax' }, { term: 'john', translation: 'Juanito' }]);
  });

  it('rejects glossaries over the term or byte limit with glossary_too_large', () => {
    const terms = Glossary.parse(Array.from({ length: 5 }, (_, i) => `term${i}`));
    expect(() => checkGlossary(terms, { maxTerms: 5, maxBytes: 8192 })).not.toThrow();
    const tooMany = (() => {
      try {
        checkGlossary(terms, { maxTerms: 4, maxBytes: 8192 });
      } catch (e) {
        return e;
      }
    })();
    expect(tooMany).toBeInstanceOf(EarshotError);
    expect((tooMany as EarshotError).code).toBe('glossary_too_large');
    expect(() => checkGlossary(terms, { maxTerms: 100, maxBytes: 50 })).toThrow(/bytes/);
    expect(Glossary.safeParse(Array.from({ length: 1001 }, () => 'x')).success).toBe(false);
    expect(Glossary.safeParse([{ term: 'x', unknown: 1 }]).success).toBe(false);
  });
});

describe('sphinx pronunciations', () => {
  const pronouncer = new Pronouncer('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict');

  it('maps espeak-ng phonemes to ARPAbet', () => {
    expect(espeakToArpabet("z'o@baks")).toBe('Z AO R B AE K S');
    expect(espeakToArpabet("tS'3:tS")).toBe('CH ER CH');
    expect(espeakToArpabet("s'Ist@m")).toBe('S IH S T AH M');
    expect(asArpabet('Z AO1 R B AE K S')).toBe('Z AO R B AE K S');
    expect(asArpabet('zor backs')).toBeNull();
  });

  it('pronounces terms from ARPAbet hints, word hints, the dictionary and espeak-ng', async () => {
    const words = await pronouncer.termWords([
      { term: 'Qx', sounds_like: ['K Y UW EH K S'] },
      { term: 'Sorebacks', sounds_like: ['sore backs'] },
      { term: 'Dashwood' },
      { term: 'Zorbax Pro' },
    ]);
    expect(words).toEqual([
      { word: '_qx', phones: 'K Y UW EH K S', term: 'Qx' },
      { word: '_sorebacks', phones: 'S AO R B AE K S', term: 'Sorebacks' },
      { word: '_dashwood', phones: 'D AE SH W UH D', term: 'Dashwood' },
      { word: '_zorbax_pro', phones: 'Z AO R B AE K S P R OW', term: 'Zorbax Pro' },
    ]);
  });
});
