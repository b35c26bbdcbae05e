// The segmented log across real clones: clones that write segments, clones still on one file, and clones
// that migrate in the middle all converge through bd sync to the state one file of every operation folds to.
import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { foldOperations, parseOpLine, canonicalBead, type Op } from '@gastown/beads';
import { bd, bdJson, clones, git, logFiles } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

const hash = (dir: string): string => bdJson<{ hash: string }>(dir, ['doctor']).hash;

/** Every operation any file of the clone's log holds, by op id. */
function opsIn(dir: string): Map<string, Op> {
  const out = new Map<string, Op>();
  for (const f of logFiles(dir)) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const op = line ? parseOpLine(line) : 'empty';
      if (typeof op !== 'string') out.set(op.op_id, op);
    }
  }
  return out;
}

/** Clones of a repository whose store is a single file (format 1), as an older bd left it, with a few beads. */
function singleFileClones(n: number): string[] {
  const { dirs } = clones(n, bases);
  const [first] = dirs;
  const config = join(first!, '.beads', 'config.json');
  writeFileSync(config, JSON.stringify({ prefix: 'gt', format: 1 }, null, 2) + '\n');
  for (const t of ['old one', 'old two']) bdJson(first!, ['create', t]);
  git(first!, 'add', '-A');
  git(first!, 'commit', '-qm', 'a single-file store');
  git(first!, 'push', '-q', 'origin', 'HEAD');
  for (const d of dirs.slice(1)) git(d, 'pull', '-q', '--no-rebase');
  return dirs;
}

const actionArb = fc.record({
  clone: fc.constantFrom(0, 1, 2),
  what: fc.constantFrom('create', 'create', 'update', 'close', 'sync', 'migrate'),
  n: fc.nat(50),
});

describe('segments across clones', () => {
  it('clones on one file, on segments and migrating midway converge to the fold of every operation', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 4, maxLength: 10 }), (actions) => {
        const dirs = singleFileClones(3);
        const legacy = readFileSync(join(dirs[0]!, '.beads', 'ops.jsonl'), 'utf8');
        const created: string[][] = [[], [], []];
        for (const a of actions) {
          const dir = dirs[a.clone]!;
          const mine = a.what === 'update' || a.what === 'close' ? bdJson<{ id: string }[]>(dir, ['list', '--all', '-n', '0']).map((b) => b.id) : [];
          if (a.what === 'create') created[a.clone]!.push(bdJson<{ id: string }>(dir, ['create', `bead ${a.n}`, '-p', String(a.n % 5)]).id);
          else if (a.what === 'update' && mine.length) bdJson(dir, ['update', mine[a.n % mine.length]!, '--title', `edited ${a.n}`]);
          else if (a.what === 'close' && mine.length) bd(dir, ['close', mine[a.n % mine.length]!]);
          else if (a.what === 'migrate') expect(bd(dir, ['migrate']).code).toBe(0);
          else if (a.what === 'sync') expect(bd(dir, ['sync']).stderr).toBe('');
        }
        // Two rounds bring every clone everything.
        for (let round = 0; round < 2; round++) for (const d of dirs) expect(bd(d, ['sync']).stderr).toBe('');
        const hashes = dirs.map(hash);
        expect(new Set(hashes).size).toBe(1);
        // ...which is the state one file of every operation folds to
        const all = new Map<string, Op>();
        for (const d of dirs) for (const [id, op] of opsIn(d)) all.set(id, op);
        const reference = [...foldOperations([...all.values()]).values()].map((s) => JSON.stringify(canonicalBead(s.bead))).sort();
        const exported = bd(dirs[0]!, ['export']).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.stringify(canonicalBead(JSON.parse(l)))).sort();
        expect(exported).toEqual(reference);
        for (const id of created.flat()) expect(exported.some((e) => e.includes(`"id":"${id}"`))).toBe(true);
        // ops.jsonl only ever grew
        for (const d of dirs) expect(readFileSync(join(d, '.beads', 'ops.jsonl'), 'utf8').startsWith(legacy)).toBe(true);
        rmSync(join(dirs[0]!, '..'), { recursive: true, force: true });
      }),
      { numRuns: 4 },
    );
  });

  it('a sync after migrating commits only the segment that grew, never ops.jsonl again', () => {
    const [a, b] = singleFileClones(2);
    expect(bdJson<{ migrated: boolean }>(a!, ['migrate'])).toMatchObject({ migrated: true });
    bd(a!, ['sync']);
    bd(b!, ['sync']);
    expect(JSON.parse(readFileSync(join(b!, '.beads', 'config.json'), 'utf8')).format).toBe(2); // it came with the sync
    bdJson(b!, ['create', 'from b']);
    bd(b!, ['sync']);
    const changed = git(b!, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^\.beads\/log\/\d{6}-[a-z0-9]{8}\.jsonl$/);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(bdJson<{ title: string }[]>(a!, ['list']).map((x) => x.title).sort()).toEqual(['from b', 'old one', 'old two']);
  });
});
