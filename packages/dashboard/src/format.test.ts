import { describe, expect, it } from '@jest/globals';
import { col, fit, formatRow } from './format.js';
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
