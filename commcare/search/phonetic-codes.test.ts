import { describe, expect, it } from 'vitest';
import { phoneticCodes, soundex } from './phonetic-codes.js';

describe('phonetic codes', () => {
  it.each([
    ['Robert', 'R163'],
    ['Rupert', 'R163'],
    ['Rubin', 'R150'],
    ['Ashcraft', 'A261'],
    ['Ashcroft', 'A261'],
    ['Tymczak', 'T522'],
    ['Pfister', 'P236'],
    ['Honeyman', 'H555'],
    ['Lee', 'L000'],
  ])('Soundex of %s is %s (as commons-codec)', (word, code) => {
    expect(soundex(word)).toBe(code);
  });

  it('gives codes per word, keeps words Soundex cannot code, and drops repeats', () => {
    expect(phoneticCodes('Amina  Achieng amina 42')).toEqual(['A550', 'A252', '42']);
    expect(phoneticCodes('Zoë')).toEqual(['zoë']);
    expect(phoneticCodes('')).toEqual([]);
  });
});
