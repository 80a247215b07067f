/**
 * Phonetic codes of a text, as CommCare's `phonetic` analyzer makes them (standard tokenizer,
 * lowercase, Soundex replacing each token): computed here rather than by the engine so that no
 * analysis plugin is needed on OpenSearch or Elasticsearch (`analysis-phonetic` is not published
 * on Maven Central for the local node, nor bundled with Elasticsearch's image), and so that the
 * codes of a document and of a query come from the same function. Indexed as keywords in
 * `case_properties.phonetic_value`; `phonetic-match()` looks for any of the query's codes.
 */

const CODES: Readonly<Record<string, string>> = {
  B: '1',
  F: '1',
  P: '1',
  V: '1',
  C: '2',
  G: '2',
  J: '2',
  K: '2',
  Q: '2',
  S: '2',
  X: '2',
  Z: '2',
  D: '3',
  T: '3',
  L: '4',
  M: '5',
  N: '5',
  R: '6',
};

/**
 * American Soundex of one word (Apache commons-codec's, which Lucene's phonetic filter uses): the
 * first letter, then the digits of the following consonants, a digit repeated across H or W
 * written once, vowels separating repeats, padded with zeros to four. Characters that are not
 * letters are dropped; a word with a letter outside A–Z (which the encoder refuses, so Lucene keeps
 * the word as it is) or without letters gives ''.
 */
export function soundex(word: string): string {
  const letters = word.toUpperCase().replace(/[^\p{L}]/gu, '');
  if (!letters || /[^A-Z]/.test(letters)) return '';
  let code = letters[0]!;
  let last = CODES[letters[0]!] ?? '';
  for (let i = 1; i < letters.length && code.length < 4; i++) {
    const ch = letters[i]!;
    const digit = CODES[ch];
    if (digit === undefined) {
      // H and W do not separate two letters of one code; vowels (and Y) do.
      if (ch !== 'H' && ch !== 'W') last = '';
      continue;
    }
    if (digit !== last) code += digit;
    last = digit;
  }
  return code.padEnd(4, '0');
}

/** Words as the standard tokenizer finds them (letters and digits, apostrophes inside words kept). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];
}

/** The distinct phonetic codes of a text: Soundex of each word, or the word itself when Soundex gives none. */
export function phoneticCodes(text: string): string[] {
  const codes = new Set<string>();
  for (const word of words(text)) codes.add(soundex(word) || word);
  return [...codes];
}
