// Metadata merges key by key across clones: a property over random edits on two clones of one store.
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initStore } from './location.js';
import { BeadStore } from './store.js';
import { createBead, updateBead } from './mutations.js';
import { canonicalBead } from './record.js';
import { foldOperations } from './fold.js';
import { parseOpLine } from './log.js';
import { foldLog } from './fold-stream.js';
import type { Op } from './types.js';

const base = mkdtempSync(join(tmpdir(), 'beads-metadata-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let runs = 0;

function newStore(): BeadStore {
  return BeadStore.open(initStore(join(base, `s${runs++}`), 'gt').dir);
}

type Meta = Record<string, number>;
const KEYS = ['a', 'b', 'c', 'd'];
/** One edit on one clone: `whole` makes the metadata exactly this object (null: none at all). */
const editArb = fc.record({
  side: fc.constantFrom(0, 1),
  whole: fc.option(fc.dictionary(fc.constantFrom(...KEYS), fc.integer({ min: 0, max: 3 }), { maxKeys: 3 }), { nil: null }),
});

const metaOf = (store: BeadStore, id: string): Meta => (store.get(id).metadata as Meta | undefined) ?? {};
const linesOf = (store: BeadStore): string[] => readFileSync(store.logPath, 'utf8').split('\n').filter(Boolean);

function changedKeys(before: Meta, after: Meta): string[] {
  return KEYS.filter((k) => before[k] !== after[k]);
}

function interleave<T>(a: T[], b: T[], picks: boolean[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  for (let n = 0; i < a.length || j < b.length; n++) {
    if (j >= b.length || (i < a.length && (picks[n] ?? n % 2 === 0))) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

describe('metadata across clones', () => {
  it('merges key by key: every interleaving folds alike, and no key set on one side only is lost', () => {
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 20 }), fc.array(fc.boolean(), { maxLength: 20 }), (edits, picks, otherPicks) => {
        const a = newStore();
        const bead = createBead(a, 'alice', { title: 'shared', metadata: { a: 0 } });
        const b = newStore();
        copyFileSync(a.logPath, b.logPath);
        const common = linesOf(a).length;
        const touched: Set<string>[] = [new Set(), new Set()];
        for (const edit of edits) {
          const store = edit.side === 0 ? a : b;
          const before = metaOf(store, bead.id);
          updateBead(store, edit.side === 0 ? 'alice' : 'bob', bead.id, { metadata: edit.whole });
          for (const k of changedKeys(before, metaOf(store, bead.id))) touched[edit.side]!.add(k);
        }
        const finals = [metaOf(a, bead.id), metaOf(b, bead.id)];
        const shared = linesOf(a).slice(0, common);
        const fromA = linesOf(a).slice(common);
        const fromB = linesOf(b).slice(common);
        const union = foldOperations([...shared, ...fromA, ...fromB].map((l) => parseOpLine(l) as Op)).get(bead.id)!.bead.metadata ?? {};

        // Two merges as git's union merge could leave them, folded whole as a cache rebuild does...
        for (const order of [interleave(fromA, fromB, picks), interleave(fromB, fromA, otherPicks)]) {
          const merged = join(base, `merged${runs++}`);
          mkdirSync(merged);
          writeFileSync(join(merged, 'ops.jsonl'), [...shared, ...order].map((l) => `${l}\n`).join(''));
          expect(foldLog(merged).states.get(bead.id)!.bead.metadata ?? {}).toEqual(union);
        }
        // ...and by a clone whose cache catches up with the other side's lines.
        appendFileSync(a.logPath, fromB.map((l) => `${l}\n`).join(''));
        expect(metaOf(a, bead.id)).toEqual(union);

        for (const k of KEYS) {
          const by = [0, 1].filter((side) => touched[side]!.has(k));
          if (by.length === 1) expect([k, (union as Meta)[k]]).toEqual([k, finals[by[0]!]![k]]);
          else if (by.length === 2) expect(finals.map((f) => f[k])).toContain((union as Meta)[k]);
          else expect([k, (union as Meta)[k]]).toEqual([k, k === 'a' ? 0 : undefined]);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('folds an old whole-metadata set as a replacement, and key operations key by key', () => {
    const op = (lc: number, rest: Partial<Op>): Op => ({ op_id: `op${String(lc).padStart(13, '0')}`, bead: 'gt-m', kind: 'set', actor: 'a', ts: '2026-01-01T00:00:00.000Z', lc, ...rest });
    const fold = (ops: Op[]) => foldOperations(ops).get('gt-m')!.bead.metadata;
    const create = op(1, { kind: 'create', fields: { title: 'm', metadata: { a: 1 } } });
    expect(fold([create, op(2, { kind: 'metadata', metadata: { b: 2 } }), op(3, { fields: { metadata: { c: 3 } } }), op(4, { kind: 'metadata', metadata: { a: null, d: 4 } })])).toEqual({ c: 3, d: 4 });
    expect(fold([create, op(2, { kind: 'metadata', metadata: { b: 2 } }), op(3, { fields: { metadata: null } })])).toBeUndefined();
    expect(fold([create, op(2, { kind: 'metadata', metadata: { a: null } })])).toBeUndefined();
    expect(parseOpLine(JSON.stringify(op(2, { kind: 'metadata' })))).toBe('metadata is required');
  });

  it('keeps a key named __proto__ as a key (a line from another clone or tool), not as the metadata\'s prototype', () => {
    const line = '{"op_id":"op0000000000002","bead":"gt-m","kind":"metadata","actor":"a","ts":"2026-01-01T00:00:00.000Z","lc":2,"metadata":{"__proto__":{"steps":["injected"]},"k":1}}';
    const create: Op = { op_id: 'op0000000000001', bead: 'gt-m', kind: 'create', actor: 'a', ts: '2026-01-01T00:00:00.000Z', lc: 1, fields: { title: 'm' } };
    const meta = foldOperations([create, parseOpLine(line) as Op]).get('gt-m')!.bead.metadata as Record<string, unknown>;
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(meta.steps).toBeUndefined();
    expect(Object.keys(meta).sort()).toEqual(['__proto__', 'k']);
    expect(JSON.stringify(meta)).toBe('{"__proto__":{"steps":["injected"]},"k":1}'); // what the cache stores, so a fold in memory and the cache agree
  });

  it('keeps a field named __proto__ in a set or a create as a field, not as the bead\'s prototype', () => {
    const create = '{"op_id":"op0000000000001","bead":"gt-m","kind":"create","actor":"a","ts":"2026-01-01T00:00:00.000Z","lc":1,"fields":{"title":"m","__proto__":{"assignee":"ghost"}}}';
    const set = '{"op_id":"op0000000000002","bead":"gt-m","kind":"set","actor":"a","ts":"2026-01-01T00:00:00.000Z","lc":2,"fields":{"__proto__":{"status":"closed","due_at":"x"}}}';
    for (const lines of [[create], [create, set]]) {
      const bead = foldOperations(lines.map((l) => parseOpLine(l) as Op)).get('gt-m')!.bead as unknown as Record<string, unknown>;
      expect(Object.getPrototypeOf(bead)).toBe(Object.prototype);
      expect(bead.assignee).toBeUndefined();
      expect(bead.due_at).toBeUndefined();
      expect(Object.keys(bead)).toContain('__proto__');
      expect(JSON.parse(JSON.stringify(canonicalBead(bead as never)))).toEqual(JSON.parse(JSON.stringify(bead))); // the cache keeps what the fold has
    }
  });
  it('writes a metadata key named __proto__ given to updateBead as that key (JSON.parse makes it an own key)', () => {
    const store = newStore();
    const bead = createBead(store, 'a', { title: 'm', metadata: { k: 1 } });
    const updated = updateBead(store, 'a', bead.id, { metadata: JSON.parse('{"__proto__":{"steps":["x"]},"k":1}') as Record<string, unknown> });
    const meta = updated.metadata as Record<string, unknown>;
    expect(Object.keys(meta).sort()).toEqual(['__proto__', 'k']);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(meta.steps).toBeUndefined();
  });
});
