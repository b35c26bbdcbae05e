// A pane's rows: kept for the list they came from, and each row for its item, so that a refresh which changed
// a few items makes only their rows again; the filter over them.
import { describe, expect, it } from '@jest/globals';
import { paneRows } from './rows.js';
import { fixtureSnapshot } from './testing/fixture.js';

describe('the rows', () => {
  it('keeps the rows of the items a new snapshot hands over again, and makes rows for the new ones', () => {
    const s1 = fixtureSnapshot();
    const rows1 = paneRows(s1, 'work');
    expect(paneRows(s1, 'work')).toBe(rows1); // the same list: the same rows
    const retitled = { ...s1.work[1]!, title: 'Fix the flaky test, again' };
    const s2 = { ...s1, work: [s1.work[0]!, retitled, ...s1.work.slice(2)] };
    const rows2 = paneRows(s2, 'work');
    expect(rows2).not.toBe(rows1);
    expect(rows2[0]).toBe(rows1[0]);
    expect(rows2[2]).toBe(rows1[2]);
    expect(rows2[1]).not.toBe(rows1[1]);
    expect(rows2[1]!.text).toContain('again');
    expect(paneRows(s2, 'work', 'again').map((r) => r.id)).toEqual([retitled.id]);
  });

  it('lists the activity newest first, each event a row of its own', () => {
    const s = fixtureSnapshot();
    const rows = paneRows(s, 'activity');
    expect(rows.map((r) => r.item)).toEqual([...s.activity].reverse());
    const more = { ...s, activity: [...s.activity, { ...s.activity[0]!, op_id: 'op-4', at: s.activity[2]!.at }] };
    const again = paneRows(more, 'activity');
    expect(again[0]!.id).toBe('op-4:claimed');
    expect(again.slice(1)).toEqual(rows);
    expect(again[1]).toBe(rows[0]);
  });
});

describe('the filter', () => {
  it('finds while it is typed what it finds typed at once, narrowing only where the shorter one holds all', () => {
    const s = fixtureSnapshot({ scale: 300 });
    const typed = (text: string) => {
      let rows = paneRows(s, 'work');
      for (let i = 1; i <= text.length; i++) rows = paneRows(s, 'work', text.slice(0, i));
      return rows.map((r) => r.id);
    };
    const atOnce = (text: string) => paneRows({ ...s, work: [...s.work] }, 'work', text).map((r) => r.id);
    for (const text of ['bead 12', 'scaled 2 bead', 'rig:alpha 4', 'rig:beta', 'status:ready 7', 'status:blocked', 'p0', 'ship']) {
      expect(typed(text)).toEqual(atOnce(text));
    }
    // on the way to rig:alpha, "rig:" (a word) and "rig:alph" (a rig matched whole) found nothing: not narrowed from
    expect(paneRows(s, 'work', 'rig:alph')).toEqual([]);
    expect(typed('rig:alpha')).toHaveLength(302);
  });
});
