import { describe, expect, it } from '@jest/globals';
import { beadsRow, beadsUpdate, isoTime, RowProblem } from './beads-rows.js';

describe('a Beads row read as Beads means it', () => {
  it('drops nulls and the empty values Beads writes for none, keeps other columns as written', () => {
    expect(beadsRow({ id: 'bk-1', assignee: null, description: '', owner: '', compaction_level: 0, spec_id: null, notes: 'n' })).toEqual({ id: 'bk-1', owner: '', compaction_level: 0, notes: 'n' });
  });

  it('reads 0/1 flags as booleans and leaves any other value of a flag column as it is', () => {
    expect(beadsRow({ pinned: 1, ephemeral: 0, is_template: 1, no_history: 0, is_blocked: 1 })).toEqual({ pinned: true, ephemeral: false, is_template: true, no_history: false, is_blocked: true });
    expect(beadsRow({ pinned: 2, ephemeral: true })).toEqual({ pinned: 2, ephemeral: true });
  });

  it('reads metadata given as a JSON string, "{}" as none, and refuses what is not a JSON object', () => {
    expect(beadsRow({ metadata: '{"a":{"b":1}}' })).toEqual({ metadata: { a: { b: 1 } } });
    expect(beadsRow({ metadata: '{}' })).toEqual({});
    expect(beadsRow({ metadata: { a: 1 } })).toEqual({ metadata: { a: 1 } });
    expect(() => beadsRow({ metadata: '{nope' })).toThrow(RowProblem);
    expect(() => beadsRow({ metadata: '[1]' })).toThrow(/must be a JSON object/);
  });

  it('reads a SQL DATETIME as UTC ISO time, in the known time fields only', () => {
    expect(isoTime('2026-03-02 10:00:00')).toBe('2026-03-02T10:00:00Z');
    expect(isoTime('2026-03-02T10:00:00+02:00')).toBe('2026-03-02T10:00:00+02:00');
    expect(beadsRow({ closed_at: '2026-03-02 10:00:00.5', started_at: '2026-03-02 10:00:00' })).toEqual({ closed_at: '2026-03-02T10:00:00.5Z', started_at: '2026-03-02 10:00:00' });
  });

  it('reads embedded dependencies and comments the same way, and keeps a column named __proto__ as a column', () => {
    expect(beadsRow({ dependencies: [{ depends_on_id: 'bk-2', type: 'blocks', metadata: '{"x":1}', thread_id: null }], comments: [{ text: 't', created_at: '2026-03-02 10:00:00' }] })).toEqual({
      dependencies: [{ depends_on_id: 'bk-2', type: 'blocks', metadata: { x: 1 } }],
      comments: [{ text: 't', created_at: '2026-03-02T10:00:00Z' }],
    });
    const row = beadsRow(JSON.parse('{"__proto__":{"polluted":1}}') as Record<string, unknown>);
    expect(Object.keys(row)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads an update as clearing what it sets to null or empty', () => {
    expect(beadsUpdate({ assignee: null, notes: '', external_ref: null, owner: null, pinned: 1 })).toEqual({ assignee: '', notes: '', external_ref: null, owner: null, pinned: true });
  });
});
