import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { IdList } from './id-list.js';

describe('IdList', () => {
  it('answers membership and prefixes like a plain scan, over a sorted part and an unsorted tail', () => {
    const id = fc.stringMatching(/^[a-c]{1,2}-[0-9a-d]{1,4}$/);
    fc.assert(
      fc.property(fc.uniqueArray(id, { maxLength: 60 }), fc.uniqueArray(id, { maxLength: 10 }), fc.array(id, { maxLength: 10 }), (sorted, tail, probes) => {
        const base = IdList.sortedText(sorted);
        const extra = tail.filter((t) => !sorted.includes(t));
        const list = new IdList(base + extra.map((t) => `${t}\n`).join(''), base.length);
        const everything = [...new Set([...sorted, ...extra])];
        for (const probe of [...probes, ...sorted.slice(0, 3), ...extra.slice(0, 3)]) {
          expect(list.has(probe)).toBe(everything.includes(probe));
          const prefix = probe.slice(0, 3);
          expect(list.withPrefix(prefix, 1000).sort()).toEqual(everything.filter((x) => x.startsWith(prefix)).sort());
        }
        expect(list.all().sort()).toEqual(everything.sort());
      }),
      { numRuns: 300 },
    );
  });

  it('handles an empty list', () => {
    const list = new IdList('\n', 1);
    expect(list.has('gt-a')).toBe(false);
    expect(list.withPrefix('gt')).toEqual([]);
  });
});
