// The work list as the reader's worker sends it to the screen's thread: each item either the index of an
// equal item in the list sent before, or the item itself. A change at 100,000 beads alters a few of its
// 20,000 items: the others are neither copied across the threads again nor made into rows again (the screen
// keeps their objects, and rows.ts its rows, by identity).
import type { WorkItem } from './types.js';

export type WorkDelta = (number | WorkItem)[];

const sameItem = (a: WorkItem, b: WorkItem): boolean =>
  a.id === b.id && a.rig === b.rig && a.title === b.title && a.status === b.status && a.priority === b.priority && a.type === b.type && a.assignee === b.assignee && a.blocked_by.length === b.blocked_by.length && a.blocked_by.every((x, i) => x === b.blocked_by[i]);

/**
 * Encodes `next` against `prev` (the list the other side holds; none: every item sent). An item is looked for
 * at its own index first (a retitle or a status change moves nothing), by id only once the two lists part
 * (ids are unique across a town: each store has its own prefix).
 */
export function encodeWork(next: WorkItem[], prev: WorkItem[] | null): WorkDelta {
  if (!prev?.length) return next;
  let at: Map<string, number> | null = null;
  return next.map((w, i) => {
    let j: number | undefined = i;
    if (prev[i]?.id !== w.id) {
      if (!at) {
        at = new Map();
        prev.forEach((p, k) => at!.set(p.id, k));
      }
      j = at.get(w.id);
    }
    return j !== undefined && sameItem(w, prev[j]!) ? j : w;
  });
}

/** The list `delta` encodes against `prev`: prev's own objects where they are unchanged. */
export function decodeWork(delta: WorkDelta, prev: WorkItem[]): WorkItem[] {
  return delta.map((x) => {
    if (typeof x !== 'number') return x;
    const w = prev[x];
    if (!w) throw new Error(`the reader sent work item ${x} of a list of ${prev.length}`);
    return w;
  });
}
