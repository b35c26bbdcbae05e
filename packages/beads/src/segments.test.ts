// The segmented log: sealing, catch-up over new segments, migration from one file, and the writer's segment.
import { afterEach, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRepos, withConfig } from './test-helpers.js';
import { BeadStore, CONFIG_FILE } from './store.js';
import { closeBead, createBead, updateBead } from './mutations.js';
import { listBeads } from './query.js';
import { readyBeads } from './ready.js';
import { runDoctor, stateHash } from './doctor.js';
import { readMeta } from './cache.js';
import { migrateStore } from './migrate.js';
import { SEGMENTS_ATTRIBUTES_LINE } from './location.js';
import type { Op } from './types.js';

const { repo, later } = testRepos(afterEach);

const segments = (store: BeadStore): string[] => store.logFiles().filter((n) => n.startsWith('log/'));
const fileText = (store: BeadStore, name: string): string => readFileSync(join(store.dir, name), 'utf8');

/** A single-file store as an older bd made it: format 1, every operation in ops.jsonl. */
function singleFileStore(): { root: string; store: BeadStore } {
  const { root, store } = repo();
  const legacy = withConfig(store, { format: 1 });
  rmSync(join(store.dir, 'log'), { recursive: true, force: true });
  return { root, store: legacy };
}

describe('a segmented store', () => {
  it('is what bd init makes: nothing in ops.jsonl, each write in this clone\'s segment', () => {
    const { root, store } = repo();
    expect(store.segmented).toBe(true);
    createBead(store, 'a', { title: 'one' });
    expect(existsSync(join(store.dir, 'ops.jsonl'))).toBe(false);
    expect(segments(store)).toHaveLength(1);
    expect(segments(store)[0]).toMatch(/^log\/000001-[a-z0-9]{8}\.jsonl$/);
    expect(readFileSync(join(root, '.gitattributes'), 'utf8').split('\n')).toContain(SEGMENTS_ATTRIBUTES_LINE);
    expect(readFileSync(join(store.dir, '.gitignore'), 'utf8').split('\n')).toContain('writer');
  });

  it('seals a segment at segment_bytes and never writes it again; the fold is the same as one file\'s', () => {
    const { store: made } = repo();
    const store = withConfig(made, { segment_bytes: 2000 });
    const ids: string[] = [];
    const sealed = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      ids.push(createBead(store, 'a', { title: `bead ${i}`, description: 'x'.repeat(100) }).id);
      if (i % 3 === 0) updateBead(store, 'a', ids[i >> 1]!, { priority: i % 5 });
      const names = segments(store);
      // every segment but the last is sealed: its bytes never change once the next one exists
      for (const name of names.slice(0, -1)) {
        if (!sealed.has(name)) sealed.set(name, fileText(store, name));
        expect(fileText(store, name)).toBe(sealed.get(name));
        expect(Buffer.byteLength(sealed.get(name)!)).toBeGreaterThanOrEqual(2000);
      }
    }
    expect(segments(store).length).toBeGreaterThan(5);
    // the same operations folded from one file give the same state
    const { store: other } = repo();
    const single = withConfig(other, { format: 1 });
    writeFileSync(join(single.dir, 'ops.jsonl'), store.logFiles().map((n) => fileText(store, n)).join(''));
    expect(stateHash(single)).toBe(stateHash(store));
    expect(listBeads(BeadStore.open(store.dir)).map((b) => b.id).sort()).toEqual([...ids].sort());
  });

  it('catches up over a new segment (another clone\'s, after a pull) without a rebuild', () => {
    const { store } = repo();
    const mine = createBead(store, 'a', { title: 'mine' });
    expect(readyBeads(store).map((b) => b.id)).toEqual([mine.id]);
    const gen = readMeta(store.cacheDir)!.gen;
    // another clone's segment arrives: a create, and a close of our bead
    const op = JSON.parse(fileText(store, segments(store)[0]!).trim()) as Op;
    const theirs: Op[] = [
      { ...op, op_id: 'theirs00000001', bead: 'gt-theirs1', lc: op.lc + 1, actor: 'b', fields: { ...op.fields, title: 'theirs' } },
      { op_id: 'theirs00000002', bead: mine.id, kind: 'close', actor: 'b', ts: op.ts, lc: op.lc + 2, reason: 'done there' } as Op,
    ];
    writeFileSync(join(store.dir, 'log', '000001-zzzzzzzz.jsonl'), theirs.map((o) => JSON.stringify(o) + '\n').join(''));
    const reader = BeadStore.open(store.dir);
    expect(readyBeads(reader).map((b) => b.id)).toEqual(['gt-theirs1']);
    expect(reader.get(mine.id).status).toBe('closed');
    const meta = readMeta(store.cacheDir)!;
    expect(meta.gen).toBe(gen); // caught up in the same generation, not rebuilt
    expect(meta.log.map((m) => [m.name, m.lines])).toEqual(
      [
        ['log/000001-zzzzzzzz.jsonl', 2],
        [segments(store).find((n) => !n.includes('zzzzzzzz'))!, 1],
      ].sort(),
    );
    // and it grows on from there: only the new bytes are read
    appendFileSync2(join(store.dir, 'log', '000001-zzzzzzzz.jsonl'), { ...theirs[0]!, op_id: 'theirs00000003', lc: op.lc + 3, kind: 'set', fields: { priority: 0 } });
    expect(BeadStore.open(store.dir).get('gt-theirs1').priority).toBe(0);
    expect(readMeta(store.cacheDir)!.gen).toBe(gen);
  });

  it('rebuilds when a segment the cache read is rewritten or removed (a git checkout elsewhere)', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'a' });
    createBead(store, 'a', { title: 'b' });
    expect(listBeads(store)).toHaveLength(2);
    const name = segments(store)[0]!;
    const first = fileText(store, name).split('\n')[0]!;
    writeFileSync(join(store.dir, name), first + '\n'); // shorter
    expect(listBeads(BeadStore.open(store.dir)).map((b) => b.title)).toEqual(['a']);
    writeFileSync(join(store.dir, name), first.replace('"title":"a"', '"title":"z"') + '\n'); // the same size
    expect(BeadStore.open(store.dir).get(a.id).title).toBe('z');
    rmSync(join(store.dir, name));
    expect(listBeads(BeadStore.open(store.dir))).toEqual([]);
  });

  it('gives a copy of the directory (cp -r, not a git clone) a segment of its own', () => {
    const { root, store } = repo();
    createBead(store, 'a', { title: 'original' });
    const copy = mkdtempSync(join(tmpdir(), 'beads-copy-'));
    later(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(root, copy, { recursive: true });
    const copied = BeadStore.open(join(copy, '.beads'));
    createBead(copied, 'b', { title: 'in the copy' });
    expect(segments(copied)).toHaveLength(2);
    expect(segments(BeadStore.open(store.dir))).toHaveLength(1);
    expect(listBeads(copied).map((b) => b.title).sort()).toEqual(['in the copy', 'original']);
  });

  it('refuses a store of a newer format with one instruction', () => {
    const { store } = repo();
    withConfig(store, { format: 1 });
    writeFileSync(join(store.dir, CONFIG_FILE), JSON.stringify({ prefix: 'gt', format: 3 }));
    expect(() => BeadStore.open(store.dir)).toThrow(/the store's format 3 is newer than this bd knows \(1 and 2\): upgrade bd/);
  });
});

describe('bd migrate (migrateStore)', () => {
  it('turns a single-file store into segments without changing the state or the doctor hash; ops.jsonl is sealed', () => {
    const { store } = singleFileStore();
    expect(store.segmented).toBe(false);
    const a = createBead(store, 'a', { title: 'before' });
    closeBead(store, 'a', createBead(store, 'a', { title: 'done before' }).id);
    expect(store.logFiles()).toEqual(['ops.jsonl']);
    const legacy = fileText(store, 'ops.jsonl');
    const before = runDoctor(BeadStore.open(store.dir)).hash;
    const r = migrateStore(store);
    expect(r).toMatchObject({ from: 1, to: 2, migrated: true });
    const after = BeadStore.open(store.dir);
    expect(after.segmented).toBe(true);
    expect(runDoctor(after).hash).toBe(before);
    updateBead(after, 'a', a.id, { title: 'after' });
    createBead(after, 'a', { title: 'new' });
    expect(fileText(after, 'ops.jsonl')).toBe(legacy);
    expect(segments(after)).toHaveLength(1);
    expect(listBeads(after, { all: true }).map((b) => b.title).sort()).toEqual(['after', 'done before', 'new']);
    expect(migrateStore(after)).toMatchObject({ migrated: false, to: 2 });
  });

  it('keeps a single-file store writing its one file until it is migrated', () => {
    const { store } = singleFileStore();
    for (let i = 0; i < 3; i++) createBead(store, 'a', { title: `b${i}` });
    expect(store.logFiles()).toEqual(['ops.jsonl']);
    expect(readdirSync(store.dir)).not.toContain('writer');
    expect(fileText(store, 'ops.jsonl').trim().split('\n')).toHaveLength(3);
  });
});

function appendFileSync2(path: string, op: Op): void {
  writeFileSync(path, readFileSync(path, 'utf8') + JSON.stringify(op) + '\n');
}
