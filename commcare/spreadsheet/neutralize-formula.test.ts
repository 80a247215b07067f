import { describe, expect, it } from 'vitest';
import { neutralizeFormula } from './neutralize-formula.js';

describe('neutralizeFormula', () => {
  it('prefixes every text that a spreadsheet would run as a formula with a quote', () => {
    for (const text of [
      '=HYPERLINK("http://evil.example","click")',
      '+cmd|" /C calc"!A0',
      '-2+3',
      '@SUM(1+1)*cmd|" /C calc"!A0',
      '\t=1+1',
      '\r=1+1',
      '=',
      '-',
      '+1 (555) 010-0199',
    ])
      expect(neutralizeFormula(text)).toBe(`'${text}`);
  });

  it('keeps numbers numbers, signed or with an exponent', () => {
    for (const text of ['-12.5', '+3', '-0', '-.5', '1e-3', '-2E+10', '42'])
      expect(neutralizeFormula(text)).toBe(text);
  });

  it('leaves every other text as it is', () => {
    for (const text of ['', 'Bondo', ' =1+1', 'a=b', 'x-1', "'already quoted", 'email@example.org'])
      expect(neutralizeFormula(text)).toBe(text);
  });
});
