// The work list sent across the threads as a delta: what arrives equals what was sent, unchanged items are the
// receiver's own objects, and changed, new and moved ones arrive as they are.
import { describe, expect, it } from '@jest/globals';
import type { WorkItem } from './types.js';
import { decodeWork, encodeWork } from './work-delta.js';

const item = (id: string, over: Partial<WorkItem> = {}): WorkItem => ({ id, rig: 'alpha', title: `bead ${id}`, status: 'ready', priority: 2, type: 'task', assignee: null, blocked_by: [], ...over });

describe('the work delta', () => {
  it('sends the whole list first, then indexes of the unchanged items and the changed ones whole', () => {
    const first = [item('a'), item('b'), item('c', { status: 'blocked', blocked_by: ['a'] })];
    expect(encodeWork(first, null)).toEqual(first);
    const held = decodeWork(encodeWork(first, null), []);
    expect(held).toEqual(first);
    // another read: new objects, b retitled, c unblocked and moved up, d new, a the same
    const next = [item('c'), item('a'), item('b', { title: 'retitled' }), item('d')];
    const delta = encodeWork(next, held);
    expect(delta).toEqual([item('c'), 0, item('b', { title: 'retitled' }), item('d')]);
    const got = decodeWork(structuredClone(delta), held);
    expect(got).toEqual(next);
    expect(got[1]).toBe(held[0]); // the receiver's own object: its row is kept
    expect(got[0]).not.toBe(held[2]);
  });

  it('finds moved items by id, and sends whole an item whose blockers or rig changed', () => {
    const held = [item('x'), item('y', { status: 'blocked', blocked_by: ['x'] }), item('z')];
    const next = [item('z'), item('x'), item('y', { status: 'blocked', blocked_by: ['z'] })];
    expect(encodeWork(next, held)).toEqual([2, 0, next[2]]);
    const moved = [item('x', { rig: 'beta' }), ...held.slice(1)];
    expect(encodeWork(moved, held)).toEqual([moved[0], 1, 2]);
    expect(decodeWork(encodeWork(moved, held), held)).toEqual(moved);
    expect(() => decodeWork([5], held)).toThrow('work item 5 of a list of 3');
  });
});
