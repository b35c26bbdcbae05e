// Hostile tests of the segmented log through the built bd, with real git: files of the store that are not what
// they should be, sync across clones where segments were deleted or stray files sit in log/, and counts.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bd, bdJson, clones, git, tempDirs, writerLog } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));
const dirs = tempDirs(afterEach);

const segmentTexts = (root: string): string[] => readdirSync(join(root, '.beads', 'log')).sort().map((f) => readFileSync(join(root, '.beads', 'log', f), 'utf8'));

describe('a store whose files are not what they should be', () => {
  it('refuses a write when .beads/writer is a directory, naming it, and leaves nothing behind', () => {
    const root = dirs.store();
    bdJson(root, ['create', 'one']);
    const before = segmentTexts(root);
    rmSync(join(root, '.beads', 'writer'));
    mkdirSync(join(root, '.beads', 'writer'));
    const r = bd(root, ['create', 'two']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('.beads/writer: it is a directory');
    expect(r.stderr).not.toMatch(/writer\.tmp/);
    expect(readdirSync(join(root, '.beads')).filter((n) => n.includes('.tmp'))).toEqual([]);
    expect(segmentTexts(root)).toEqual(before);
  });
});

describe('files in log/ that are not segments', () => {
  it('are neither read, counted nor committed by bd sync, and bd doctor names them', () => {
    const { dirs } = clones(2, bases);
    const [a] = dirs;
    bdJson(a!, ['create', 'one']);
    expect(bd(a!, ['sync']).code).toBe(0);
    bdJson(a!, ['create', 'two']);
    // A copy of a segment's last line under a name the log does not read (notes, an editor's backup)
    const last = readFileSync(writerLog(a!), 'utf8').trim().split('\n').pop()!;
    writeFileSync(join(a!, '.beads', 'log', 'notes.jsonl'), last.replace(/"op_id":"[^"]+"/, '"op_id":"zzzzzzzzzzzzzzzz"') + '\n');
    const dry = bdJson<{ out: { operations: number } }>(a!, ['sync', '--dry-run']);
    const real = bdJson<{ out: { operations: number } }>(a!, ['sync']);
    expect(real.out.operations).toBe(1);
    expect(dry.out.operations).toBe(real.out.operations);
    expect(git(a!, 'ls-files', '.beads/log').split('\n')).not.toContain('.beads/log/notes.jsonl');
    const report = bdJson<{ warnings: string[] }>(a!, ['doctor']);
    expect(report.warnings.filter((w) => w.includes('notes.jsonl'))).toHaveLength(1);
    expect(report.warnings.find((w) => w.includes('notes.jsonl'))).toMatch(/not read/);
  });
});

describe('a remote where a segment was deleted', () => {
  it('gets it back from the clone that writes it, even when that clone has written to it since', () => {
    const { dirs } = clones(3, bases);
    const [a, b, c] = dirs;
    const one = bdJson<{ id: string }>(a!, ['create', 'one']).id;
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(bd(b!, ['sync']).code).toBe(0);
    const segment = writerLog(a!).slice(a!.length + 1);
    git(b!, 'rm', '-q', segment); // someone thought it was old
    git(b!, 'commit', '-qm', 'remove a segment');
    git(b!, 'push', '-q', 'origin', 'HEAD');
    const two = bdJson<{ id: string }>(a!, ['create', 'two']).id;
    const r = bd(a!, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const d of [a!, b!, c!]) expect(bd(d, ['sync']).code).toBe(0);
    for (const d of [a!, b!, c!]) expect(bdJson<{ id: string }[]>(d, ['list']).map((x) => x.id).sort()).toEqual([one, two].sort());
    expect(new Set(dirs.map((d) => bdJson<{ hash: string }>(d, ['doctor']).hash)).size).toBe(1);
  });
});
