import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldOperations, type BeadState } from './fold.js';
import { foldLog } from './fold-stream.js';
import { parseOpLine } from './log.js';
import { canonicalBead } from './record.js';
import type { Op } from './types.js';

function snapshot(states: Map<string, BeadState>): string {
  return JSON.stringify([...states.values()].map((s) => canonicalBead(s.bead)).sort((a, b) => (a.id < b.id ? -1 : 1)));
}

const BEADS = ['gt-aaaa', 'gt-bbbb', 'gt-cccc'];
const ACTORS = ['alice', 'bob', 'carol'];

/** Random operations as two clones would write them: each clone's clock runs past what it has seen. */
const opArb = fc.record({
  bead: fc.constantFrom(...BEADS),
  kind: fc.constantFrom('set', 'label_add', 'label_remove', 'dep_add', 'dep_remove', 'comment', 'claim', 'release', 'close', 'reopen', 'delete', 'create'),
  actor: fc.constantFrom(...ACTORS),
  title: fc.string({ minLength: 1, maxLength: 8 }),
  priority: fc.integer({ min: 0, max: 4 }),
  label: fc.constantFrom('a', 'b', 'c'),
  target: fc.constantFrom(...BEADS),
  clone: fc.integer({ min: 0, max: 2 }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function materialise(specs: any[]): Op[] {
  const clocks = [0, 0, 0];
  let n = 0;
  const ops: Op[] = BEADS.map((bead, i) => ({ op_id: `create${i}00000000`, bead, kind: 'create', actor: 'alice', ts: '2026-01-01T00:00:00.000Z', lc: 1, fields: { title: bead } }));
  for (const s of specs) {
    const lc = ++clocks[s.clone]! + 1;
    const op: Op = { op_id: `op${String(n++).padStart(10, '0')}x${s.clone}`, bead: s.bead, kind: s.kind, actor: s.actor, ts: `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`, lc };
    if (s.kind === 'set') op.fields = { title: s.title, priority: s.priority };
    if (s.kind === 'create') op.fields = { title: s.title };
    if (s.kind === 'label_add' || s.kind === 'label_remove') op.label = s.label;
    if (s.kind === 'dep_add' || s.kind === 'dep_remove') Object.assign(op, { depends_on_id: s.target, dep_type: 'blocks' });
    if (s.kind === 'comment') op.text = s.title;
    ops.push(op);
  }
  return ops;
}

describe('foldOperations', () => {
  it('reaches the same state whatever order the operations arrive in, and with duplicated lines', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer(), (specs, seed) => {
        const ops = materialise(specs);
        const shuffled = fc.sample(fc.shuffledSubarray(ops, { minLength: ops.length, maxLength: ops.length }), { seed, numRuns: 1 })[0]!;
        // a union merge may duplicate lines that both sides had
        const withDuplicates = [...shuffled, ...shuffled.slice(0, 5)];
        expect(snapshot(foldOperations(withDuplicates))).toBe(snapshot(foldOperations(ops)));
      }),
      { numRuns: 300 },
    );
  });

  it('lets the first claim in the total order win', () => {
    const base: Op = { op_id: 'c0000000000', bead: 'gt-x', kind: 'create', actor: 'a', ts: '2026-01-01T00:00:00Z', lc: 1, fields: { title: 't' } };
    const bob: Op = { op_id: 'b0000000000', bead: 'gt-x', kind: 'claim', actor: 'bob', ts: '2026-01-01T00:00:01Z', lc: 3 };
    const carol: Op = { op_id: 'a0000000000', bead: 'gt-x', kind: 'claim', actor: 'carol', ts: '2026-01-01T00:00:02Z', lc: 3 };
    // equal clocks: the smaller op id comes first
    expect(foldOperations([base, bob, carol]).get('gt-x')!.bead.assignee).toBe('carol');
    expect(foldOperations([carol, bob, base]).get('gt-x')!.bead.assignee).toBe('carol');
  });

  it('keeps both beads when two clones created the same id, and names them the same way everywhere', () => {
    const a: Op = { op_id: 'aaaa00000000', bead: 'gt-same', kind: 'create', actor: 'a', ts: '2026-01-01T00:00:00Z', lc: 5, fields: { title: 'from clone A' } };
    const b: Op = { op_id: 'bbbb00000000', bead: 'gt-same', kind: 'create', actor: 'b', ts: '2026-01-01T00:00:00Z', lc: 5, fields: { title: 'from clone B' } };
    const bUpdate: Op = { op_id: 'cccc00000000', bead: 'gt-same', origin: 'bbbb00000000', kind: 'set', actor: 'b', ts: '2026-01-01T00:00:01Z', lc: 6, fields: { priority: 0 } };
    const one = foldOperations([a, b, bUpdate]);
    const two = foldOperations([bUpdate, b, a]);
    expect(snapshot(one)).toBe(snapshot(two));
    expect(one.get('gt-same')!.bead.title).toBe('from clone A');
    expect(one.get('gt-same~bbbb')!.bead.title).toBe('from clone B');
    expect(one.get('gt-same~bbbb')!.bead.priority).toBe(0);
    expect(one.get('gt-same')!.bead.priority).toBe(2);
  });

  it('keeps unknown fields through the fold', () => {
    const op: Op = { op_id: 'x0000000000', bead: 'gt-u', kind: 'create', actor: 'a', ts: '2026-01-01T00:00:00Z', lc: 1, fields: { title: 't', wobble: { deep: [1, 2] }, original_type: 'bug' } };
    const bead = foldOperations([op]).get('gt-u')!.bead;
    expect(bead.wobble).toEqual({ deep: [1, 2] });
    expect(bead.original_type).toBe('bug');
  });
});

describe('foldLog (one pass over the log files, for a full cache build)', () => {
  it('gives what foldOperations gives, with the same aliases, orphans and corrupt lines, in order or not, in one file or split into segments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fold-log-'));
    try {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer(), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), (specs, seed, shuffle, orphan, cuts, legacy) => {
          const ops = materialise(specs);
          if (orphan) ops.push({ op_id: 'orphan000000', bead: 'gt-dddd', kind: 'set', actor: 'a', ts: '2026-01-01T00:00:00.000Z', lc: 2, fields: { priority: 1 } });
          const order = shuffle ? fc.sample(fc.shuffledSubarray(ops, { minLength: ops.length, maxLength: ops.length }), { seed, numRuns: 1 })[0]! : ops;
          // a union merge may duplicate lines, even the one just before
          const lines = [...order, ...(shuffle ? order.slice(0, 3) : []), order[order.length - 1]!].map((o) => JSON.stringify(o));
          lines.splice(Math.min(2, lines.length), 0, '{"not an op": true}');
          // The lines in one file, or cut into ops.jsonl (a migrated store's first segment) and segments
          rmSync(join(dir, 'ops.jsonl'), { force: true });
          rmSync(join(dir, 'log'), { recursive: true, force: true });
          mkdirSync(join(dir, 'log'));
          const at = [...new Set(cuts.map((c) => c % (lines.length + 1)))].sort((a, b) => a - b);
          const pieces = [0, ...at].map((from, i) => lines.slice(from, [...at, lines.length][i]));
          const names = pieces.map((_, i) => (i === 0 && legacy ? 'ops.jsonl' : `log/${String(i + 1).padStart(6, '0')}-abcdefgh.jsonl`));
          const where: { file: string; line: number }[] = [];
          pieces.forEach((piece, i) => {
            writeFileSync(join(dir, names[i]!), piece.map((l) => l + '\n').join('') + (i === pieces.length - 1 ? '{"torn' : ''));
            piece.forEach((_, n) => where.push({ file: names[i]!, line: n + 1 }));
          });
          const folded = foldLog(dir, (n) => n);
          // what the log holds: the lines that pass the schema are operations, the rest are corrupt
          const parsed = lines.map((l) => parseOpLine(l));
          const valid = parsed.filter((p): p is Op => typeof p !== 'string');
          const expected = foldOperations(valid);
          expect(snapshot(folded.states)).toBe(snapshot(expected));
          const aliases: Record<string, string[]> = {};
          const orphans = new Set(valid.map((o) => o.bead));
          for (const st of expected.values()) {
            orphans.delete(st.logId);
            if (st.logId !== st.bead.id) (aliases[st.logId] ??= [st.logId]).push(st.bead.id);
          }
          expect(folded.aliases).toEqual(aliases);
          expect(folded.orphans).toEqual([...orphans].sort());
          expect(folded.corrupt).toEqual(parsed.flatMap((p, i) => (typeof p === 'string' ? [{ ...where[i]!, message: p }] : [])));
          expect(folded.corrupt.length).toBeGreaterThanOrEqual(1);
          expect(folded.marks.map((m) => [m.name, m.lines])).toEqual(names.map((n, i) => [n, pieces[i]!.length]));
          expect(folded.maxLc).toBe(Math.max(...valid.map((o) => o.lc)));
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a stamp that is no real date', () => {
  it('folds without throwing: a lease taken at it has run out, so another can claim the bead', () => {
    const bad = '2026-13-45T99:99:99Z';
    const line = (o: Record<string, unknown>): Op => {
      const parsed = parseOpLine(JSON.stringify(o));
      if (typeof parsed === 'string') throw new Error(parsed);
      return parsed;
    };
    const ops = [
      line({ op_id: 'opnodate1', bead: 'gt-aaaa', kind: 'create', actor: 'alice', ts: '2026-12-01T00:00:00Z', lc: 1, fields: { title: 'one' } }),
      line({ op_id: 'opnodate2', bead: 'gt-aaaa', kind: 'claim', actor: 'mallory', ts: bad, lc: 2, lease_ms: 60_000 }),
      line({ op_id: 'opnodate3', bead: 'gt-aaaa', kind: 'heartbeat', actor: 'mallory', ts: bad, lc: 3, lease_ms: 60_000 }),
    ];
    const held = foldOperations(ops).get('gt-aaaa')!.bead;
    expect({ assignee: held.assignee, lease: held.lease_expires_at }).toEqual({ assignee: 'mallory', lease: '1970-01-01T00:00:00.000Z' });
    const taken = foldOperations([...ops, line({ op_id: 'opnodate4', bead: 'gt-aaaa', kind: 'claim', actor: 'bob', ts: '2026-12-01T00:01:00Z', lc: 4, lease_ms: 60_000 })]).get('gt-aaaa')!.bead;
    expect(taken.assignee).toBe('bob');
  });
});
