// Hostile tests of the segmented log's files: bad config values, a writer file or log/ that is not what it
// should be, sequence numbers past six digits, torn tails in files no writer appends to again, and migration of
// stores that should not be migrated or that end torn.
import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testRepos, writeConfig } from './test-helpers.js';
import { BeadStore, CONFIG_FILE } from './store.js';
import { createBead } from './mutations.js';
import { listBeads } from './query.js';
import { runDoctor } from './doctor.js';
import { migrateStore } from './migrate.js';
import { BeadsError } from './errors.js';
import { CacheReader, readMeta } from './cache.js';
import { catchUp } from './catch-up.js';
import { compareLog } from './log-files.js';
import { foldOperations } from './fold.js';
import type { Op } from './types.js';

const { repo } = testRepos(afterEach);

const segments = (store: BeadStore): string[] => store.logFiles().filter((n) => n.startsWith('log/'));
const titles = (store: BeadStore): string[] => listBeads(store, { all: true }).map((b) => b.title).sort();

/** What opening the store throws (a BeadsError), or null. */
function openError(dir: string): BeadsError | null {
  try {
    BeadStore.open(dir);
    return null;
  } catch (err) {
    if (!(err instanceof BeadsError)) throw err;
    return err;
  }
}

describe('config values the log depends on', () => {
  it.each([0, -5, 1.5, '1000', null, true])('refuses segment_bytes %p with one error naming it, writing nothing', (value) => {
    const { store } = repo();
    createBead(store, 'a', { title: 'before' });
    const before = segments(store).map((n) => readFileSync(join(store.dir, n), 'utf8'));
    writeConfig(store, { segment_bytes: value });
    const err = openError(store.dir);
    expect(err?.code).toBe('invalid_input');
    expect(err?.message).toMatch(/segment_bytes/);
    expect(segments(store).map((n) => readFileSync(join(store.dir, n), 'utf8'))).toEqual(before);
  });

  it.each([0, -1, '2'])('refuses format %p (formats are 1 and 2), naming it and the file', (value) => {
    const { store } = repo();
    writeConfig(store, { format: value });
    const err = openError(store.dir);
    expect(err?.code).toBe('invalid_input');
    expect(err?.message).toMatch(/format/);
    expect(err?.message.startsWith(`${join(store.dir, CONFIG_FILE)}: `)).toBe(true);
  });

  it('takes the smallest segment_bytes (1: one write per segment) and a huge one', () => {
    const { store } = repo();
    writeConfig(store, { segment_bytes: 1 });
    for (const t of ['a', 'b']) createBead(BeadStore.open(store.dir), 'a', { title: t });
    expect(segments(store)).toHaveLength(2);
    writeConfig(store, { segment_bytes: Number.MAX_SAFE_INTEGER });
    for (const t of ['c', 'd']) createBead(BeadStore.open(store.dir), 'a', { title: t });
    expect(segments(store)).toHaveLength(2); // the open one takes c and d
    expect(titles(BeadStore.open(store.dir))).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('segment sequence numbers', () => {
  it('reads a segment whose sequence number has passed six digits, so a write after 999999 is seen', () => {
    const { store: made } = repo();
    writeConfig(made, { segment_bytes: 100 });
    const store = BeadStore.open(made.dir);
    createBead(store, 'a', { title: 'first' });
    writeFileSync(join(store.dir, 'log', '999999-aaaaaaaa.jsonl'), ''); // a hand-made name, or a very old store
    const later = createBead(store, 'a', { title: 'after 999999' });
    expect(readdirSync(join(store.dir, 'log')).some((n) => n.startsWith('1000000-'))).toBe(true);
    expect(store.logFiles().some((n) => n.startsWith('log/1000000-'))).toBe(true);
    expect(titles(BeadStore.open(store.dir))).toEqual(['after 999999', 'first']);
    expect(store.get(later.id).title).toBe('after 999999');
    // ...and the next segment follows it, not another 1000000
    createBead(store, 'a', { title: 'next' });
    expect(store.logFiles().some((n) => n.startsWith('log/1000001-'))).toBe(true);
  });
});

describe('a writer file that is not one', () => {
  it.each([
    ['garbage', 'not json at all {'],
    ['a path out of the store', JSON.stringify({ segment: '../../etc/passwd', host: 'h', dir: '/' })],
    ['a path inside log/ that climbs out', JSON.stringify({ segment: 'log/../../x.jsonl', host: 'h', dir: '/' })],
  ])('starts a segment of its own when .beads/writer holds %s', (_what, text) => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    writeFileSync(join(store.dir, 'writer'), text);
    createBead(BeadStore.open(store.dir), 'a', { title: 'two' });
    expect(segments(store)).toHaveLength(2);
    expect(titles(BeadStore.open(store.dir))).toEqual(['one', 'two']);
  });
});

describe('torn tails in files no writer appends to again', () => {
  /** What a writer killed mid-append leaves: part of a line, no newline. */
  const torn = (n: number): string => `{"op_id":"abcdefgh12345678","bead":"gt-${'x'.repeat(n)}`;

  it('cuts a torn tail that pushed the open segment past segment_bytes when the next write seals it', () => {
    const { store: made } = repo();
    writeConfig(made, { segment_bytes: 600 });
    const store = BeadStore.open(made.dir);
    createBead(store, 'a', { title: 'one' });
    const [first] = segments(store);
    const text = readFileSync(join(store.dir, first!), 'utf8');
    appendFileSync(join(store.dir, first!), torn(600));
    expect(runDoctor(BeadStore.open(store.dir)).torn_tail).not.toBeNull();
    createBead(BeadStore.open(store.dir), 'a', { title: 'two' });
    // as the doctor's warning says: the next write cut it off
    const after = readFileSync(join(store.dir, first!), 'utf8');
    expect(after.startsWith(text)).toBe(true);
    expect(after).not.toContain('abcdefgh12345678');
    const report = runDoctor(BeadStore.open(store.dir));
    expect(report.torn_tail).toBeNull();
    expect(report.warnings.filter((w) => /torn/.test(w))).toEqual([]);
    expect(titles(BeadStore.open(store.dir))).toEqual(['one', 'two']);
  });


});

describe('torn tails at migration', () => {
  const torn = (n: number): string => `{"op_id":"abcdefgh12345678","bead":"gt-${'x'.repeat(n)}`;

  it('bd migrate cuts a torn tail of ops.jsonl, which no writer appends to after it', () => {
    const { store: made } = repo();
    writeConfig(made, { format: 1 });
    let store = BeadStore.open(made.dir);
    createBead(store, 'a', { title: 'one' });
    const text = readFileSync(join(store.dir, 'ops.jsonl'), 'utf8');
    appendFileSync(join(store.dir, 'ops.jsonl'), torn(30));
    const hash = runDoctor(store).hash;
    expect(migrateStore(store).migrated).toBe(true);
    store = BeadStore.open(store.dir);
    createBead(store, 'a', { title: 'two' });
    expect(readFileSync(join(store.dir, 'ops.jsonl'), 'utf8')).toBe(text);
    const report = runDoctor(BeadStore.open(store.dir));
    expect(report.torn_tail).toBeNull();
    expect(report.hash).not.toBe(hash); // 'two' is in it
    expect(titles(store)).toEqual(['one', 'two']);
  });});

describe('bd migrate of a store that must stay one file', () => {
  it('refuses the wisp store (never synced, rewritten when a wisp is burned), changing nothing', () => {
    const { root, store } = repo();
    const wisps = join(store.dir, 'wisps');
    mkdirSync(wisps);
    writeFileSync(join(wisps, CONFIG_FILE), JSON.stringify({ prefix: 'gt', id_prefix: 'gt-wisp', format: 1 }));
    writeFileSync(join(wisps, 'ops.jsonl'), '');
    const wispStore = BeadStore.open(wisps);
    createBead(wispStore, 'a', { title: 'a wisp' });
    const config = readFileSync(join(wisps, CONFIG_FILE), 'utf8');
    const attributes = readFileSync(join(root, '.gitattributes'), 'utf8');
    let err: unknown;
    try {
      migrateStore(wispStore);
    } catch (e) {
      err = e;
    }
    expect((err as BeadsError).code).toBe('invalid_input');
    expect((err as BeadsError).message).toMatch(/wisp/);
    expect(readFileSync(join(wisps, CONFIG_FILE), 'utf8')).toBe(config);
    expect(existsSync(join(store.dir, '.gitattributes'))).toBe(false);
    expect(existsSync(join(wisps, '.gitignore'))).toBe(false);
    expect(readFileSync(join(root, '.gitattributes'), 'utf8')).toBe(attributes);
  });
});

describe('a cache meta whose marks have a hole', () => {
  it('is rebuilt, not a crash of every later command (a segment a pull wrote while a reader caught up)', () => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    listBeads(store, {}); // the cache covers 'one'
    const meta = readMeta(store.cacheDir)!;
    createBead(BeadStore.open(store.dir), 'a', { title: 'two' });
    const cmp = compareLog(store.dir, meta.log);
    // git pull writes another clone's segment between the comparison and the catch-up
    const line = readFileSync(join(store.dir, store.logFiles()[0]!), 'utf8').split('\n')[0]!.replace(/"op_id":"[^"]+"/, '"op_id":"zzzzzzzzzzzzzzzz"').replace(/"bead":"[^"]+"/, '"bead":"gt-pulled01"').replace('"title":"one"', '"title":"pulled"');
    writeFileSync(join(store.dir, 'log', '000009-zzzzzzzz.jsonl'), line + '\n');
    catchUp(new CacheReader(store.cacheDir, meta), store.dir, cmp, (n) => n);
    // a meta such a catch-up wrote before it took the files as compared: a hole where the new segment's mark was
    const path = join(store.cacheDir, 'meta.json');
    const written = JSON.parse(readFileSync(path, 'utf8')) as { log: unknown[] };
    written.log.push(null);
    writeFileSync(path, JSON.stringify(written));
    expect(titles(BeadStore.open(store.dir))).toEqual(['one', 'pulled', 'two']);
  });
});

describe('a log/ that is not a directory', () => {
  it('is named by bd doctor, which does not call the store ok', () => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    rmSync(join(store.dir, 'log'), { recursive: true, force: true });
    writeFileSync(join(store.dir, 'log'), 'a file where the segments belong\n');
    const report = runDoctor(BeadStore.open(store.dir));
    expect(report.ok).toBe(false);
    expect(report.warnings.filter((w) => w.includes('is not a directory'))).toHaveLength(1);
  });
});

describe('a torn tail longer than 64 KiB', () => {
  it('is not caught up again by every read (each rewrote the cache under the lock)', () => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    const [segment] = segments(store);
    appendFileSync(join(store.dir, segment!), `{"op_id":"abcdefgh12345678","bead":"gt-xx","kind":"create","fields":{"title":"${'x'.repeat(70_000)}`);
    expect(titles(BeadStore.open(store.dir))).toEqual(['one']);
    const meta = join(store.cacheDir, 'meta.json');
    const before = statSync(meta);
    for (let i = 0; i < 3; i++) expect(titles(BeadStore.open(store.dir))).toEqual(['one']);
    const after = statSync(meta);
    expect({ ino: after.ino, mtime: after.mtimeMs }).toEqual({ ino: before.ino, mtime: before.mtimeMs });
  });
});

describe('a symlink under a segment\'s name', () => {
  it('is not read, so what it points at is never reported, quarantined or synced as corrupt lines', () => {
    const { root, store } = repo();
    createBead(store, 'a', { title: 'one' });
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'SECRET-KEY-MATERIAL\n');
    symlinkSync(secret, join(store.dir, 'log', '000099-aaaaaaaa.jsonl')); // as a remote may commit one
    const reopened = BeadStore.open(store.dir);
    expect(titles(reopened)).toEqual(['one']);
    const report = runDoctor(reopened, { fix: true, actor: 'a' });
    expect(report.corrupt).toEqual([]);
    expect(existsSync(join(store.dir, 'ops.corrupt.jsonl'))).toBe(false);
    expect(report.warnings.filter((w) => w.includes('000099-aaaaaaaa.jsonl') && /not read/.test(w))).toHaveLength(1);
    expect(readFileSync(secret, 'utf8')).toBe('SECRET-KEY-MATERIAL\n');
  });
});

describe('ops.jsonl as a symlink', () => {
  it('in a single-file store: one error naming it, on read and write alike, and the target untouched', () => {
    const { root, store } = repo();
    writeConfig(store, { format: 1 });
    const target = join(root, 'outside.txt');
    writeFileSync(target, 'not the log\n');
    symlinkSync(target, join(store.dir, 'ops.jsonl'));
    const err = openError(store.dir);
    expect(err?.code).toBe('corrupt_log');
    expect(err?.message).toBe(`${join(store.dir, 'ops.jsonl')} is a symbolic link: a store's log must be a regular file (bd neither reads nor writes through a link, which could point anywhere); replace it with the file it points to`);
    expect(readFileSync(target, 'utf8')).toBe('not the log\n');
  });

  it('in a segmented store: not read, and bd doctor names it', () => {
    const { root, store } = repo();
    createBead(store, 'a', { title: 'one' });
    const target = join(root, 'outside.jsonl');
    writeFileSync(target, readFileSync(join(store.dir, segments(store)[0]!), 'utf8').replace(/"title":"one"/, '"title":"from the link"').replace(/"op_id":"[^"]+"/, '"op_id":"zzzzzzzzzzzzzzzz"').replace(/"bead":"[^"]+"/, '"bead":"gt-linked01"'));
    symlinkSync(target, join(store.dir, 'ops.jsonl'));
    const reopened = BeadStore.open(store.dir);
    expect(titles(reopened)).toEqual(['one']);
    createBead(reopened, 'a', { title: 'two' });
    expect(titles(BeadStore.open(store.dir))).toEqual(['one', 'two']);
    const report = runDoctor(BeadStore.open(store.dir), { fix: false, actor: 'a' });
    expect(report.warnings.filter((w) => w.includes('ops.jsonl is a symbolic link and is not read'))).toHaveLength(1);
    expect(readFileSync(target, 'utf8')).not.toContain('"title":"two"');
  });
});

describe('the writer\'s segment replaced by a symlink', () => {
  it('is not written through: the next write starts a segment of its own and the target is untouched', () => {
    const { root, store } = repo();
    createBead(store, 'a', { title: 'one' });
    const [segment] = segments(store);
    const target = join(root, 'outside.txt');
    writeFileSync(target, 'not the log\n');
    const path = join(store.dir, segment!);
    rmSync(path);
    symlinkSync(target, path); // what a merge of a remote that committed a symlink there checks out
    createBead(BeadStore.open(store.dir), 'a', { title: 'two' });
    expect(readFileSync(target, 'utf8')).toBe('not the log\n');
    expect(titles(BeadStore.open(store.dir))).toEqual(['two']); // 'one' was in the file the symlink replaced
  });
});

describe('a writer file naming another clone\'s sealed segment', () => {
  it('is not followed: the sealed segment stays as it was and the write starts a segment of its own', () => {
    const { store: made } = repo();
    writeConfig(made, { segment_bytes: 250 });
    const store = BeadStore.open(made.dir);
    createBead(store, 'a', { title: 'one' });
    createBead(store, 'a', { title: 'two' });
    const [sealed] = segments(store);
    expect(statSync(join(store.dir, sealed!)).size).toBeGreaterThanOrEqual(250);
    // as another clone's segment would be named, with this clone's host and directory
    const other = 'log/000001-othercln.jsonl';
    writeFileSync(join(store.dir, other), readFileSync(join(store.dir, sealed!), 'utf8').replace(/"op_id":"(.)/g, '"op_id":"z'));
    rmSync(join(store.dir, sealed!));
    const record = JSON.parse(readFileSync(join(store.dir, 'writer'), 'utf8')) as Record<string, string>;
    writeFileSync(join(store.dir, 'writer'), JSON.stringify({ ...record, segment: other }));
    const text = readFileSync(join(store.dir, other), 'utf8');
    createBead(BeadStore.open(store.dir), 'a', { title: 'three' });
    expect(readFileSync(join(store.dir, other), 'utf8')).toBe(text);
    expect(JSON.parse(readFileSync(join(store.dir, 'writer'), 'utf8')).segment).not.toBe(other);
  });
});

describe('an operation line whose keys are in another order', () => {
  it('folds the same on the slow path (a bead refolded from all its lines) as parsed in full', () => {
    const { store } = repo();
    const bead = createBead(store, 'a', { title: 'one' });
    const [segment] = segments(store);
    const path = join(store.dir, segment!);
    const create = readFileSync(path, 'utf8');
    // written by hand (or another tool): a nested "bead" key before the operation's own
    const set = JSON.stringify({ op_id: 'zzzzzzzzzzzzzzzz', kind: 'set', fields: { bead: 'gt-elsewhere', title: 'changed' }, bead: bead.id, actor: 'a', ts: new Date().toISOString(), lc: 5 });
    appendFileSync(path, `${set}\n${create}`); // the create again: the bead takes the slow path
    const reference = foldOperations(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op));
    expect(reference.get(bead.id)!.bead.title).toBe('changed');
    expect(BeadStore.open(store.dir).get(bead.id).title).toBe('changed');
  });
});

describe('bd doctor on a torn line in a file this clone does not append to', () => {
  it('does not say the next write cuts it off, which it does not', () => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    // another clone's segment, as a commit by hand (git commit -a mid-write) brought it
    writeFileSync(join(store.dir, 'log', '000001-othercln.jsonl'), '{"op_id":"abcdefgh12345678","bead":"gt-to');
    createBead(BeadStore.open(store.dir), 'a', { title: 'two' });
    const warning = runDoctor(BeadStore.open(store.dir)).warnings.find((w) => w.includes('000001-othercln.jsonl'))!;
    expect(warning).toMatch(/torn final line/);
    expect(warning).not.toMatch(/the next write cuts it off/);
    expect(warning).toMatch(/bd sync cuts it off/);
  });
});
