// Mutations driven with generated hostile arguments (control characters, empty strings, ambiguous prefixes,
// impossible dates, several values with one bad) against a real store. Two rules: a call that throws throws a
// BeadsError that is not internal and leaves the log byte for byte unchanged; a call that returns made exactly
// the change it reports, and nothing else.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { isoTimeProblem } from './dates.js';
import { BeadsError } from './errors.js';
import { dependencyCycles } from './graph.js';
import { addComment, addDependency, addLabels, closeBead, createBead, deleteBeads, heartbeatBeads, removeDependency, removeLabels, reopenBeads, updateBead, claimBead } from './mutations.js';
import type { BeadStore } from './store.js';
import { tempRepo } from './test-helpers.js';
import type { Bead, Op } from './types.js';

let store: BeadStore;
let cleanup: () => void;
const ACTOR = 'prop';

beforeAll(() => {
  ({ store, cleanup } = tempRepo());
  for (const id of [...LIVE, 'gt-gone11', ...DOOMED]) createBead(store, ACTOR, { title: id, id });
  deleteBeads(store, ACTOR, ['gt-gone11']);
  closeBead(store, ACTOR, 'gt-done11');
  claimBead(store, ACTOR, 'gt-ccc111');
});
afterAll(() => cleanup());

const hostile = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '-', ':', '[', 'é', '\n', '\t', '\r', '\u001b', '\u0000', '\u0007', '\u007f', '\u009b'), maxLength: 10 });
// Mostly good values, so that calls also succeed; hostile ones often enough that most calls hold one.
const mostly = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: good, weight: 3 }, { arbitrary: bad, weight: 1 });
const LIVE = ['gt-aaa111', 'gt-aaa222', 'gt-bbb111', 'gt-ccc111', 'gt-done11'];
const DOOMED = Array.from({ length: 40 }, (_, i) => `gt-del${String(i).padStart(3, '0')}`); // delete's targets, so the others live on
const badId = fc.oneof(fc.constantFrom('gt-gone11', 'gt-aaa', 'gt-', 'aaa1', 'bbb', 'gt-nothere', '', ' '), hostile);
const id = mostly(fc.constantFrom(...LIVE), badId);
const doomed = mostly(fc.constantFrom(...DOOMED), badId);
const label = mostly(fc.constantFrom('ok', 'good1', 'x-y', 'q4'), fc.oneof(fc.constantFrom('', 'has space', 'a,b'), hostile));
const date = mostly(fc.constantFrom('2026-12-01', '2028-02-29', '2026-12-01T09:00Z'), fc.oneof(fc.constantFrom('2026-02-31', '2026-13-01', '01/02/2026', '2026-12-01T24:00Z', ''), hostile));
const text = mostly(fc.constantFrom('fine', 'two words', 'x'), fc.oneof(fc.constantFrom('two\nlines', 'tab\there', '', ' '), hostile));
const depType = mostly(fc.constantFrom('blocks', 'parent-child', 'related', 'waits-for'), fc.constantFrom('bogus', ''));

type Call = { name: string; run: () => Bead | Bead[]; check: (result: Bead | Bead[], ops: Op[]) => void };

const call = (c: Call): Call => c;

const newOps = (before: Buffer): Op[] =>
  readFileSync(store.logPath).subarray(before.length).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);

const calls: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ id, labels: fc.array(label, { minLength: 1, maxLength: 3 }) }).map(({ id: i, labels }) => call({
    name: `addLabels ${JSON.stringify([i, labels])}`,
    run: () => addLabels(store, ACTOR, i, labels),
    check: (b, ops) => {
      const bead = b as Bead;
      for (const l of labels) expect(bead.labels).toContain(l);
      expect(ops.every((o) => o.kind === 'label_add' && o.bead === bead.id && labels.includes(o.label!))).toBe(true);
    },
  })),
  fc.record({ id, labels: fc.array(label, { minLength: 1, maxLength: 3 }) }).map(({ id: i, labels }) => call({
    name: `removeLabels ${JSON.stringify([i, labels])}`,
    run: () => removeLabels(store, ACTOR, i, labels),
    check: (b, ops) => {
      for (const l of labels) expect((b as Bead).labels ?? []).not.toContain(l);
      expect(ops.map((o) => o.kind)).toEqual([...new Set(labels)].map(() => 'label_remove'));
    },
  })),
  fc.record({ id, other: id, type: depType }).map(({ id: i, other, type }) => call({
    name: `addDependency ${JSON.stringify([i, other, type])}`,
    run: () => addDependency(store, ACTOR, i, other, type),
    check: (b, ops) => {
      expect(ops.length).toBeLessThanOrEqual(1);
      expect(ops.every((o) => o.kind === 'dep_add' && o.dep_type === type && o.bead === (b as Bead).id)).toBe(true);
      expect((b as Bead).dependencies?.some((d) => d.type === type)).toBe(true);
      expect(dependencyCycles(store)).toEqual([]); // the edge that would close one is refused
    },
  })),
  fc.record({ id, other: id, type: depType }).map(({ id: i, other, type }) => call({
    name: `removeDependency ${JSON.stringify([i, other, type])}`,
    run: () => removeDependency(store, ACTOR, i, other, type || undefined),
    check: (b, ops) => {
      expect(ops).toHaveLength(1);
      expect(ops[0]).toMatchObject({ kind: 'dep_remove', dep_type: type || 'blocks', bead: (b as Bead).id });
      expect((b as Bead).dependencies?.some((d) => d.depends_on_id === ops[0]!.depends_on_id && d.type === (type || 'blocks'))).toBeFalsy();
    },
  })),
  fc.record({ title: text, labels: fc.array(label, { maxLength: 2 }), due: date, parent: fc.option(id, { nil: undefined }) }).map(({ title, labels, due, parent }) => call({
    name: `createBead ${JSON.stringify([title, labels, due, parent])}`,
    run: () => createBead(store, ACTOR, { title, labels, due_at: due, parent }),
    check: (b, ops) => {
      expect(ops).toHaveLength(1);
      expect(ops[0]).toMatchObject({ kind: 'create', bead: (b as Bead).id });
      expect((b as Bead).title).toBe(title);
      expect(isoTimeProblem((b as Bead).due_at!)).toBeNull();
    },
  })),
  fc.record({ id, title: fc.option(text, { nil: undefined }), defer: fc.option(date, { nil: undefined }), assignee: fc.option(text, { nil: undefined }) }).map(({ id: i, title, defer, assignee }) => call({
    name: `updateBead ${JSON.stringify([i, title, defer, assignee])}`,
    run: () => updateBead(store, ACTOR, i, { title, defer_until: defer, assignee }),
    check: (b, ops) => {
      expect(ops).toHaveLength(1);
      expect(ops[0]).toMatchObject({ kind: 'set', bead: (b as Bead).id });
      if (title !== undefined) expect((b as Bead).title).toBe(title);
      if (defer) expect(isoTimeProblem((b as Bead).defer_until!)).toBeNull();
    },
  })),
  fc.record({ which: fc.constantFrom('reopen', 'delete', 'heartbeat'), good: fc.array(id, { minLength: 1, maxLength: 3 }), doomed: fc.array(doomed, { minLength: 1, maxLength: 3 }), reason: fc.option(text, { nil: undefined }) }).map(({ which, good, doomed: d, reason }) => ({ which, ids: which === 'delete' ? d : good, reason })).map(({ which, ids, reason }) => call({
    name: `${which}Beads ${JSON.stringify([ids, reason])}`,
    run: () => (which === 'reopen' ? reopenBeads(store, ACTOR, ids, reason) : which === 'delete' ? deleteBeads(store, ACTOR, ids, reason) : heartbeatBeads(store, ACTOR, ids, 60_000)),
    check: (bs, ops) => {
      const beads = bs as Bead[];
      expect(ops.map((o) => o.kind)).toEqual(beads.map(() => which));
      expect(new Set(ops.map((o) => o.bead)).size).toBe(beads.length);
      for (const b of beads) expect(b.status).toBe(which === 'reopen' ? 'open' : which === 'delete' ? 'tombstone' : 'in_progress');
    },
  })),
  fc.record({ id, text }).map(({ id: i, text: t }) => call({
    name: `addComment ${JSON.stringify([i, t])}`,
    run: () => addComment(store, ACTOR, i, t),
    check: (b, ops) => {
      expect(ops).toHaveLength(1);
      expect((b as Bead).comments?.at(-1)?.text).toBe(t);
    },
  })),
);

describe('mutations under hostile arguments', () => {
  it('either refuse with a BeadsError and write nothing, or make exactly the change they report', () => {
    fc.assert(
      fc.property(calls, (call) => {
        const before = readFileSync(store.logPath);
        let result: Bead | Bead[];
        try {
          result = call.run();
        } catch (err) {
          expect({ call: call.name, error: err instanceof BeadsError ? err.code : String(err) }).toEqual({ call: call.name, error: expect.not.stringMatching(/^internal$|Error/) });
          expect({ call: call.name, unchanged: readFileSync(store.logPath).equals(before) }).toEqual({ call: call.name, unchanged: true });
          return;
        }
        const ops = newOps(before);
        for (const op of ops) expect(JSON.stringify(op)).not.toMatch(/\\u001b|\\u0000|\\u0007|\u007f|\u009b/);
        call.check(result, ops);
      }),
      { numRuns: 1000 },
    );
  });
});
