import { describe, expect, it } from '@jest/globals';
import type { Bead } from '@gastown/beads';
import { beadList } from './format.js';

const bead = (id: string, issue_type: string, title: string): Bead =>
  ({ id, issue_type, title, status: 'open', priority: 2, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' }) as Bead;

describe('beadList', () => {
  it('lines up the columns of beads whose ids and types differ in length', () => {
    const text = beadList([bead('ab-1234', 'task', 'short id'), bead('ab-1234567890', 'merge-request', 'long id, long type'), bead('ab-9', 'molecule', 'mol')], 'none');
    expect(text.split('\n')).toEqual([
      'ab-1234        P2 task          open        short id',
      'ab-1234567890  P2 merge-request open        long id, long type',
      'ab-9           P2 molecule      open        mol',
    ]);
    const titleColumns = new Set(text.split('\n').map((l) => l.indexOf('open')));
    expect(titleColumns.size).toBe(1);
  });

  it('says when the list is empty', () => {
    expect(beadList([], 'Nothing here.')).toBe('Nothing here.');
  });
});
