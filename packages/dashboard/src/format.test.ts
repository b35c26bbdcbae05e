import { describe, expect, it } from '@jest/globals';
import { col, fit, formatRow, withoutSequences, wrap } from './format.js';
import type { Row } from './rows.js';

describe('row columns', () => {
  it('a text as wide as its column is cut, so a space always parts it from the next', () => {
    expect(fit('alpha/polecats/nux', 18)).toBe('alpha/polecats/nux');
    expect(col('alpha/polecats/nux', 18)).toBe('alpha/polecats/n… ');
    expect(col('nux', 6)).toBe('nux   ');
  });

  it("an activity row keeps the actor apart from the feed's text", () => {
    const item = { at: '2026-12-02T12:00:00.000Z', kind: 'mail' as const, store: 'hq', bead: 'hq-1', actor: 'alpha/polecats/nux', text: 'alpha/polecats/nux -> mayor: done', op_id: 'o1' };
    const row = { pane: 'activity', id: 'o1:mail', rig: null, status: 'mail', text: '', item } as Row;
    expect(formatRow(row, 100).text).toMatch(/alpha\/polecats\/n… alpha\/polecats\/nux -> mayor: done/);
  });
});

describe('text from a store on the terminal', () => {
  it('holds no control character: C1 (CSI, OSC) and bidi overrides are shown escaped, line breaks and tabs as spaces', () => {
    const shown = fit('title \u009d0;HACKED\u009c \u009b2J \u001b[31m red\u202egnp.exe\nnext\tcell', 80);
    expect([...shown].filter((c) => /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/.test(c))).toEqual([]);
    expect(shown).toBe('title \\x9d0;HACKED\\x9c \\x9b2J \\x1b[31m red\\u202egnp.exe next cell'.padEnd(80));
  });

  it('is cut and padded by terminal cells: a CJK character or an emoji takes two, a combining mark none', () => {
    expect(fit('宽字符的标题', 8)).toBe('宽字符… ');
    expect(fit('宽字符', 8)).toBe('宽字符  ');
    expect(fit('🔥🔥🔥🔥🔥', 6)).toBe('🔥🔥… ');
    expect(fit('café', 6)).toBe('café  ');
    expect(fit('cafe\u0301 au lait', 6)).toBe('cafe\u0301 …');
    expect(fit('ascii text', 6)).toBe('ascii…');
  });
});

describe('long lines in a detail view', () => {
  it('are wrapped at the last space that fits, else where the width runs out, and no line is wider', () => {
    expect(wrap('the quick brown fox jumps over the lazy dog', 12)).toEqual(['the quick', 'brown fox', 'jumps over', 'the lazy dog']);
    expect(wrap('abcdefghijklmnopqrstuvwxyz', 10)).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz']);
    expect(wrap('宽字符的标题很长很长', 8)).toEqual(['宽字符的', '标题很长', '很长']);
    expect(wrap('', 10)).toEqual(['']);
    // a line that fills the width exactly, then a space
    expect(wrap('abcd efgh ijkl mnop', 9)).toEqual(['abcd efgh', 'ijkl mnop']);
    const long = wrap(`  ${'word '.repeat(50)}THE-END`, 99);
    expect(long.every((l) => l.length <= 99 && !/^\S{1,3}$/.test(l))).toBe(true);
    expect(long.join(' ').split(/\s+/).filter(Boolean)).toEqual([...Array(50).fill('word'), 'THE-END']);
    for (const line of wrap('a long description: '.repeat(20), 33)) expect(line.length).toBeLessThanOrEqual(33);
    expect(wrap('a long description: '.repeat(20), 33).join(' ').replace(/\s+/g, ' ')).toBe('a long description: '.repeat(20).trim());
  });

  it("lose a program's colours, not their text", () => {
    expect(withoutSequences('\u001b[31mFAIL\u001b[0m test \u001b]0;title\u0007done')).toBe('FAIL test done');
  });
});
