/** Sentences for the oracle and batching tests: several source and target languages, accents, digits, odd spacing. */
export interface OracleSentence {
  text: string;
  /** FLORES-200 codes, as transformers.js's NLLB tokenizer takes them. */
  src: string;
  tgt: string;
}

const en = (text: string, tgt = 'spa_Latn'): OracleSentence => ({ text, src: 'eng_Latn', tgt });

export const ORACLE_SENTENCES: readonly OracleSentence[] = [
  en('The weather is nice today.'),
  en('Where is the train station?', 'deu_Latn'),
  en('I would like a cup of coffee, please.', 'fra_Latn'),
  en('He was not an ill disposed young man.'),
  en('My brother lives in a small house near the river.', 'zho_Hans'),
  en('She reads a book every week!', 'ita_Latn'),
  en('The meeting starts at 9:30 and ends at 11.'),
  en('Yes.'),
  en('Thank you very much, everyone.', 'deu_Latn'),
  en('We are going to the beach tomorrow, unless it rains.', 'fra_Latn'),
  en('Can you help me with my homework?'),
  en('The children play in the garden while their parents cook dinner.', 'deu_Latn'),
  en('  Leading and trailing spaces,   and  doubled ones.  '),
  en("A ﬁne day for café au lait — isn't it?", 'fra_Latn'),
  en('They bought 3 new cars last year (all red).', 'ita_Latn'),
  { text: 'El tiempo es agradable hoy.', src: 'spa_Latn', tgt: 'eng_Latn' },
  { text: '¿Dónde está la estación de tren?', src: 'spa_Latn', tgt: 'deu_Latn' },
  { text: 'Mi hermano vive en una casa pequeña cerca del río.', src: 'spa_Latn', tgt: 'fra_Latn' },
  { text: 'Das Wetter ist heute schön.', src: 'deu_Latn', tgt: 'eng_Latn' },
  { text: 'Ich hätte gern eine Tasse Kaffee, bitte.', src: 'deu_Latn', tgt: 'spa_Latn' },
  { text: 'Wo ist der Bahnhof?', src: 'deu_Latn', tgt: 'zho_Hans' },
  { text: "Il fait beau aujourd'hui.", src: 'fra_Latn', tgt: 'eng_Latn' },
  { text: 'Où est la gare ?', src: 'fra_Latn', tgt: 'spa_Latn' },
  { text: 'Mon frère habite dans une petite maison près de la rivière.', src: 'fra_Latn', tgt: 'deu_Latn' },
];
