// The saved ready answer carried over the cache's own updates gives what computing it afresh gives.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore } from './store.js';
import { initStore } from './location.js';
import { addDependency, claimBead, closeBead, createBead, deleteBead, heartbeat, removeDependency, reopenBead, updateBead } from './mutations.js';
import { readyBeads } from './ready.js';
import { cacheLimits, readMeta, readyKeyOf } from './cache.js';
import { readyPaths } from './ready-answer.js';
import { BeadsError } from './errors.js';

// Many fsynced writes: in memory where the machine has /dev/shm.
const base = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ready-answer-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const defaults = { ...cacheLimits };
afterEach(() => {
  Object.assign(cacheLimits, defaults);
});
let stores = 0;

const editArb = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), parent: fc.option(fc.nat(), { nil: null }), blocker: fc.option(fc.nat(), { nil: null }), priority: fc.integer({ min: 0, max: 4 }), defer: fc.boolean(), type: fc.constantFrom('task', 'task', 'epic', 'molecule') }),
  fc.record({ kind: fc.constantFrom('close' as const, 'reopen' as const, 'delete' as const, 'claim' as const, 'lease' as const, 'progress' as const), a: fc.nat() }),
  fc.record({ kind: fc.constantFrom('dep' as const, 'undep' as const), a: fc.nat(), b: fc.nat() }),
);
type Edit = typeof editArb extends fc.Arbitrary<infer T> ? T : never;

function apply(store: BeadStore, ids: string[], e: Edit): void {
  const pick = (n: number | null): string | undefined => (n === null || !ids.length ? undefined : ids[n % ids.length]);
  try {
    if (e.kind === 'create') {
      const parent = pick(e.parent);
      const blocker = pick(e.blocker);
      const defer = e.defer ? { defer_until: new Date(Date.now() + 3_600_000).toISOString() } : {};
      ids.push(createBead(store, 'a', { title: `b${ids.length}`, priority: e.priority, issue_type: e.type, ...defer, ...(parent ? { parent } : {}), ...(blocker ? { deps: [{ type: 'blocks', id: blocker }] } : {}) }).id);
    } else if (e.kind === 'dep' || e.kind === 'undep') {
      const [a, b] = [pick(e.a), pick(e.b)];
      if (a && b) (e.kind === 'dep' ? addDependency : removeDependency)(store, 'a', a, b, 'blocks');
    } else {
      const id = pick(e.a);
      if (!id) return;
      if (e.kind === 'close') closeBead(store, 'a', id);
      else if (e.kind === 'reopen') reopenBead(store, 'a', id);
      else if (e.kind === 'delete') deleteBead(store, 'a', id);
      else if (e.kind === 'claim') claimBead(store, 'a', id);
      else if (e.kind === 'lease') heartbeat(store, 'a', id, 1); // a lease that runs out at once: ready again
      else updateBead(store, 'a', id, { status: 'in_progress' });
    }
  } catch (err) {
    if (!(err instanceof BeadsError)) throw err; // a refused edit changes nothing
  }
}

/** Ready computed from nothing saved: the saved answer removed, read by a fresh store whose clock says `at`. */
function afresh(store: BeadStore, limit: number, at: Date): string[] {
  const gen = join(store.cacheDir, `g${readMeta(store.cacheDir)!.gen}`);
  for (const p of Object.values(readyPaths(gen))) rmSync(p, { force: true });
  return readyBeads(BeadStore.open(store.dir, { now: () => at }), { limit }).map((b) => b.id);
}

/** Whether the saved answer on disk is for the cache as it is now (carried over the last write, or saved by a read). */
function savedIsCurrent(store: BeadStore): boolean {
  const meta = readMeta(store.cacheDir)!;
  try {
    return JSON.parse(readFileSync(readyPaths(join(store.cacheDir, `g${meta.gen}`)).ready, 'utf8')).key === readyKeyOf(meta);
  } catch {
    return false;
  }
}

describe('the saved ready answer, carried over writes', () => {
  it('answers after each write what computing afresh answers, whole or in a window of the first few', () => {
    let carried = 0;
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 5, maxLength: 40, size: 'max' }), fc.constantFrom(2, 3, 1000), (edits, window) => {
        cacheLimits.readySaved = window;
        const store = BeadStore.open(initStore(join(base, `s${stores++}`), 'gt').dir);
        const ids: string[] = [];
        readyBeads(store); // an answer saved from the start, for the writes to carry
        for (const e of edits) {
          apply(store, ids, e);
          BeadStore.open(store.dir).state('gt-none'); // a reader catches the cache up, as the next command does
          if (savedIsCurrent(store)) carried++;
          for (const limit of [2, 0]) {
            // both answers at one moment: a lease of 1 ms runs out between two reads, and ready changes with it
            const at = new Date();
            const got = readyBeads(BeadStore.open(store.dir, { now: () => at }), { limit }).map((b) => b.id);
            expect({ limit, got }).toEqual({ limit, got: afresh(store, limit, at) });
          }
        }
      }),
      { numRuns: 40 },
    );
    expect(carried).toBeGreaterThan(50); // the carrying was exercised, not only recomputation
  });
});
