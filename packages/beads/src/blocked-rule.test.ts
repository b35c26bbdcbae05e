// Beads' blocked rule (blocked_cache.go): a bead is blocked while any of its blocks/waits-for blockers is not
// closed, whatever its own status, and every descendant by parent-child inherits that, through closed ancestors
// too. Checked by hand on a small tree, then as a property: after random edits, `ready` and `blocked` answer
// alike from the writer's cache (updated op by op), a second cache caught up in batches, a cache rebuilt from
// scratch, and a reference written straight over the folded beads.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initStore } from './location.js';
import { BeadStore } from './store.js';
import { addDependency, closeBead, createBead, deleteBead, removeDependency, reopenBead, updateBead } from './mutations.js';
import { blockedBeads, readyBeads } from './ready.js';
import { foldLog } from './fold-stream.js';
import { cacheLimits } from './cache.js';
import { BeadsError } from './errors.js';
import { NON_WORK_TYPES, type Bead } from './types.js';

// Thousands of fsynced writes: in /dev/shm (memory) where there is one, as an fsync there costs microseconds.
const base = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'beads-blocked-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let stores = 0;
const newStore = (): BeadStore => BeadStore.open(initStore(join(base, `s${stores++}`), 'gt').dir);

const defaults = { ...cacheLimits };
afterEach(() => {
  Object.assign(cacheLimits, defaults);
});

/** Beads' rule written over folded beads, independently of the caches. */
function reference(beads: Map<string, Bead>): { ready: string[]; blocked: Map<string, string[]> } {
  const NON_WORK = new Set<string>(NON_WORK_TYPES);
  const live = (id: string): boolean => {
    const b = beads.get(id);
    return b !== undefined && b.status !== 'closed' && b.status !== 'tombstone';
  };
  const openBlockers = (b: Bead): string[] => (b.status === 'tombstone' ? [] : (b.dependencies ?? []).filter((d) => (d.type === 'blocks' || d.type === 'waits-for') && d.depends_on_id !== b.id && live(d.depends_on_id)).map((d) => d.depends_on_id));
  // The bead itself and every bead above it by parent-child that blocks on its own.
  const blockedFrom = (id: string): string[] => {
    const found: string[] = [];
    const seen = new Set<string>();
    const walk = (at: string): void => {
      const b = beads.get(at);
      if (!b || seen.has(at)) return;
      seen.add(at);
      if (openBlockers(b).length) found.push(at);
      for (const d of b.dependencies ?? []) if (d.type === 'parent-child') walk(d.depends_on_id);
    };
    walk(id);
    return found;
  };
  const blocked = new Map<string, string[]>();
  for (const b of beads.values()) if (live(b.id) && !NON_WORK.has(b.issue_type) && blockedFrom(b.id).length) blocked.set(b.id, blockedFrom(b.id));
  const ready = [...beads.values()]
    .filter((b) => b.status === 'open' && !NON_WORK.has(b.issue_type) && !blocked.has(b.id))
    .sort((a, b) => a.priority - b.priority || Date.parse(a.created_at) - Date.parse(b.created_at) || (a.id < b.id ? -1 : 1))
    .map((b) => b.id);
  return { ready, blocked };
}

const folded = (store: BeadStore): Map<string, Bead> => new Map([...foldLog(store.dir).states.values()].map((s) => [s.bead.id, s.bead]));
/** Puts every line of one store's log into another's own segment (as a pull of it would, in one file). */
const copyLog = (from: BeadStore, to: BeadStore): void => writeFileSync(to.logPath, from.logFiles().map((n) => readFileSync(join(from.dir, n), 'utf8')).join(''));

/** What a store answers, with each blocked bead's reason checked against the reference's. */
function answers(store: BeadStore, expected: ReturnType<typeof reference>, beads: Map<string, Bead>): { ready: string[]; blocked: string[] } {
  const blocked = blockedBeads(store);
  for (const b of blocked) {
    const sources = expected.blocked.get(b.id) ?? [];
    if (b.blocked_by.length) expect(sources[0]).toBe(b.id);
    else expect(sources).toContain(b.blocked_ancestor);
    // own blockers, when given, are exactly the open ones
    if (b.blocked_by.length) expect([...b.blocked_by].sort()).toEqual((beads.get(b.id)!.dependencies ?? []).filter((d) => (d.type === 'blocks' || d.type === 'waits-for') && d.depends_on_id !== b.id && ['closed', 'tombstone', undefined].indexOf(beads.get(d.depends_on_id)?.status) < 0).map((d) => d.depends_on_id).sort());
  }
  return { ready: readyBeads(store).map((b) => b.id), blocked: blocked.map((b) => b.id).sort() };
}

describe('the blocked rule through a closed ancestor', () => {
  it('blocks the children of a closed bead whose blocker is open, and lets them go when it closes', () => {
    const store = newStore();
    const gate = createBead(store, 'a', { title: 'gate' });
    const epic = createBead(store, 'a', { title: 'epic', issue_type: 'epic', deps: [{ type: 'blocks', id: gate.id }] });
    const mid = createBead(store, 'a', { title: 'middle', parent: epic.id });
    const child = createBead(store, 'a', { title: 'child', parent: epic.id });
    const grandchild = createBead(store, 'a', { title: 'grandchild', parent: mid.id });
    closeBead(store, 'a', epic.id);
    closeBead(store, 'a', mid.id);
    const ids = (beads: { id: string }[]): string[] => beads.map((b) => b.id).sort();
    const check = (s: BeadStore, blocked: boolean): void => {
      expect(readyBeads(s).map((b) => b.id)).toEqual(blocked ? [gate.id] : expect.arrayContaining([child.id, grandchild.id]));
      const reasons = blockedBeads(s);
      expect(ids(reasons)).toEqual(blocked ? [child.id, grandchild.id].sort() : []);
      for (const r of reasons) expect(r).toMatchObject({ blocked_by: [], blocked_ancestor: epic.id });
    };
    check(store, true);
    check(BeadStore.open(store.dir), true);
    closeBead(store, 'a', gate.id);
    check(store, false);
    reopenBead(store, 'a', gate.id);
    check(store, true);
    // a blocker given to a closed bead reaches its open descendants at once
    removeDependency(store, 'a', epic.id, gate.id);
    check(store, false);
    addDependency(store, 'a', mid.id, gate.id, 'waits-for');
    expect(blockedBeads(store).map((b) => [b.id, b.blocked_ancestor])).toEqual([[grandchild.id, mid.id]]);
    // a deleted ancestor blocks nothing (Beads removes a deleted issue's dependencies)
    deleteBead(store, 'a', mid.id);
    expect(blockedBeads(store)).toEqual([]);
    const fresh = newStore();
    copyLog(store, fresh);
    expect(readyBeads(fresh).map((b) => b.id)).toEqual(readyBeads(store).map((b) => b.id));
    expect(blockedBeads(fresh)).toEqual([]);
  });
});

describe('a catch-up that changes an ancestor and its descendant at once', () => {
  it('gives the descendant the new blockers of its ancestor', () => {
    const writer = newStore();
    const gate = createBead(writer, 'a', { title: 'gate' });
    const epic = createBead(writer, 'a', { title: 'epic', issue_type: 'epic' });
    const child = createBead(writer, 'a', { title: 'child', parent: epic.id });
    closeBead(writer, 'a', epic.id);
    const other = newStore();
    copyLog(writer, other);
    expect(readyBeads(other).map((b) => b.id).sort()).toEqual([gate.id, child.id].sort());
    addDependency(writer, 'a', epic.id, gate.id);
    updateBead(writer, 'a', child.id, { title: 'child, renamed' });
    copyLog(writer, other); // both operations arrive in one catch-up
    expect(readyBeads(other).map((b) => b.id)).toEqual([gate.id]);
    expect(blockedBeads(other)).toEqual([expect.objectContaining({ id: child.id, title: 'child, renamed', blocked_ancestor: epic.id })]);
  });
});

type Edit =
  | { kind: 'create'; parent: number | null; blocker: number | null; type: string; priority: number }
  | { kind: 'close' | 'reopen' | 'delete' | 'progress'; a: number }
  | { kind: 'dep' | 'undep'; a: number; b: number; type: string }
  | { kind: 'depAbove' | 'undepAbove'; a: number; b: number; type: string }
  | { kind: 'check' };

const idx = fc.nat({ max: 40 });
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), parent: fc.option(idx, { nil: null }), blocker: fc.option(idx, { nil: null }), type: fc.constantFrom('task', 'epic', 'molecule'), priority: fc.nat({ max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('close' as const, 'reopen' as const, 'delete' as const, 'progress' as const), a: idx }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('dep' as const, 'undep' as const), a: idx, b: idx, type: fc.constantFrom('blocks', 'waits-for', 'parent-child', 'related') }) },
  // an edge given to or taken from the parent of a bead: what reaches descendants
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('depAbove' as const, 'undepAbove' as const), a: idx, b: idx, type: fc.constantFrom('blocks', 'waits-for') }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'check' as const }) },
);

function apply(store: BeadStore, ids: string[], edit: Edit): void {
  const pick = (n: number): string | undefined => ids[n % Math.max(ids.length, 1)];
  try {
    switch (edit.kind) {
      case 'create': {
        const parent = edit.parent === null ? undefined : pick(edit.parent);
        const blocker = edit.blocker === null ? undefined : pick(edit.blocker);
        ids.push(createBead(store, 'a', { title: `b${ids.length}`, issue_type: edit.type, priority: edit.priority, ...(parent ? { parent } : {}), ...(blocker ? { deps: [{ type: 'blocks', id: blocker }] } : {}) }).id);
        return;
      }
      case 'close':
      case 'reopen':
      case 'delete':
      case 'progress': {
        const id = pick(edit.a);
        if (!id) return;
        if (edit.kind === 'close') closeBead(store, 'a', id);
        else if (edit.kind === 'reopen') reopenBead(store, 'a', id);
        else if (edit.kind === 'delete') deleteBead(store, 'a', id);
        else updateBead(store, 'a', id, { status: 'in_progress' });
        return;
      }
      case 'dep':
      case 'undep': {
        const a = pick(edit.a);
        const b = pick(edit.b);
        if (!a || !b) return;
        if (edit.kind === 'dep') addDependency(store, 'a', a, b, edit.type);
        else removeDependency(store, 'a', a, b, edit.type);
        return;
      }
      case 'depAbove':
      case 'undepAbove': {
        const child = pick(edit.a);
        const parent = child ? (store.state(child)?.bead.dependencies ?? []).find((d) => d.type === 'parent-child')?.depends_on_id : undefined;
        if (!parent) return;
        const dep = (store.state(parent)?.bead.dependencies ?? []).find((d) => d.type === edit.type);
        if (edit.kind === 'depAbove') addDependency(store, 'a', parent, pick(edit.b)!, edit.type);
        else if (dep) removeDependency(store, 'a', parent, dep.depends_on_id, edit.type);
        return;
      }
      case 'check':
        return;
    }
  } catch (err) {
    if (!(err instanceof BeadsError)) throw err; // refused edits (a cycle, a deleted bead, closing twice) change nothing
  }
}

describe('ready and blocked under random edits', () => {
  it.each([
    ['appending to the hot index', { hotFactor: 4, hotMinBytes: 1 << 20 }],
    ['rewriting it every other write', { hotFactor: 1, hotMinBytes: 0 }],
  ])('answer alike op by op, caught up in batches, rebuilt, and by the reference (%s)', (_name, limits) => {
    Object.assign(cacheLimits, limits);
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 10, maxLength: 50, size: 'max' }), (edits) => {
        const writer = newStore();
        const batched = newStore(); // its own cache, caught up with the writer's log at each check
        readyBeads(batched);
        const ids: string[] = [];
        const compare = (): void => {
          copyLog(writer, batched);
          const rebuilt = newStore();
          copyLog(writer, rebuilt);
          const beads = folded(writer);
          const expected = reference(beads);
          const want = { ready: expected.ready, blocked: [...expected.blocked.keys()].sort() };
          expect(answers(writer, expected, beads)).toEqual(want);
          expect(answers(batched, expected, beads)).toEqual(want);
          expect(answers(rebuilt, expected, beads)).toEqual(want);
        };
        for (const edit of edits) {
          apply(writer, ids, edit);
          if (edit.kind === 'check') compare();
        }
        compare();
      }),
      { numRuns: 60 },
    );
  });
});
