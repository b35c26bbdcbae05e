import { describe, expect, it } from '@jest/globals';
import type { Bead } from '@gastown/beads';
import { beadDetail, beadLine, beadList, oneLine, textBlock } from './format.js';

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

describe('control characters in stored text', () => {
  it('are escaped in one-line fields, newlines included, and in text blocks all but newline and tab', () => {
    expect(oneLine('a\nb\tc\rd\u001b[2J\u007f\u009b')).toBe('a\\nb\\tc\\rd\\x1b[2J\\x7f\\x9b');
    expect(textBlock('a\nb\tc\u001b]0;x\u0007')).toBe('a\nb\tc\\x1b]0;x\\x07');
    const evil = { ...bead('ab-1', 'task', 'two\nlines \u001b[31mred'), assignee: 'eve\u001b[2J', labels: ['l\u009b1m'] } as Bead;
    expect(beadLine(evil)).toBe('ab-1  P2 task    open        two\\nlines \\x1b[31mred @eve\\x1b[2J [l\\x9b1m]');
    expect(beadDetail(evil)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
