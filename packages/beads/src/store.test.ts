import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { testRepos } from './test-helpers.js';
import { BeadStore, LC_BOUND } from './store.js';
import { addComment, addDependency, addLabel, claimBead, closeBead, createBead, deleteBead, reopenBead, updateBead } from './mutations.js';
import { readyBeads, blockedBeads } from './ready.js';
import { listBeads } from './query.js';
import { runDoctor, stateHash } from './doctor.js';
import { BeadsError } from './errors.js';
import { initStore } from './location.js';
import { cacheLimits, readMeta } from './cache.js';

const { repo, later } = testRepos(afterEach);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('BeadStore caches', () => {
  it.each([
    ['appending to the hot index and the id list', { hotFactor: 4, hotMinBytes: 1 << 20, idTailBytes: 128 * 1024 }],
    ['rewriting both often', { hotFactor: 1, hotMinBytes: 2000, idTailBytes: 100 }],
  ])('gives the same state caught up incrementally as rebuilt from scratch, %s', (_name, limits) => {
    const defaults = { ...cacheLimits };
    Object.assign(cacheLimits, limits);
    later(() => Object.assign(cacheLimits, defaults));
    const { store } = repo();
    const ids: string[] = [];
    let seed = 7;
    const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed % n);
    for (let i = 0; i < 120; i++) {
      const pick = ids[rnd(ids.length || 1)];
      const step = rnd(9);
      try {
        if (step < 3 || !pick) ids.push(createBead(store, 'alice', { title: `bead ${i}`, priority: rnd(5), parent: pick && rnd(2) ? pick : undefined }).id);
        else if (step === 3) updateBead(store, 'bob', pick, { title: `renamed ${i}` });
        else if (step === 4) closeBead(store, 'bob', pick);
        else if (step === 5) reopenBead(store, 'bob', pick);
        else if (step === 6) addDependency(store, 'carol', pick, ids[rnd(ids.length)]!, rnd(2) ? 'blocks' : 'parent-child');
        else if (step === 7) addLabel(store, 'carol', pick, `l${rnd(3)}`);
        else addComment(store, 'dave', pick, `note ${i}`);
      } catch (err) {
        if (!(err instanceof BeadsError)) throw err; // e.g. closing a closed bead: refused, fine
      }
      if (i % 10 === 0) readyBeads(store); // reads in between make the cache catch up in steps
    }
    const incremental = stateHash(store);
    const readyBefore = readyBeads(store).map((b) => b.id);
    const fresh = BeadStore.open(store.dir);
    fresh.rebuild();
    expect(stateHash(fresh)).toBe(incremental);
    expect(readyBeads(fresh).map((b) => b.id)).toEqual(readyBefore);
    expect(blockedBeads(fresh)).toEqual(blockedBeads(store));
    expect(listBeads(fresh, { limit: 0 })).toEqual(listBeads(store, { limit: 0 }));
    for (const id of ids) {
      expect(fresh.resolveId(id)).toBe(id);
      const prefix = id.slice(0, 5);
      if (ids.filter((x) => x.startsWith(prefix)).length === 1) expect(fresh.resolveId(prefix)).toBe(id);
      else expect(() => fresh.resolveId(prefix)).toThrow(/ambiguous/);
    }
  });

  it('rebuilds when the cache is removed, and catches up after another process appends', () => {
    const { store } = repo();
    const a = createBead(store, 'alice', { title: 'a' });
    const other = BeadStore.open(store.dir);
    expect(readyBeads(other).map((b) => b.id)).toEqual([a.id]);
    const b = createBead(store, 'alice', { title: 'b', deps: [{ type: 'blocks', id: a.id }] });
    expect(blockedBeads(other).map((x) => x.id)).toEqual([b.id]);
    rmSync(join(store.dir, 'cache'), { recursive: true });
    expect(listBeads(BeadStore.open(store.dir)).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
  });
});

describe('a reader that opened the cache before an update', () => {
  const everything = (view: ReturnType<BeadStore['view']>) => {
    const hot = view.hotIndex();
    return {
      hot: [...hot.headers.values()].map((h) => [h[0], h[1], hot.bead(h).title]).sort(),
      ids: view.idsWithPrefix('gt-', 1000).sort(),
      titles: view.idsWithPrefix('gt-', 1000).map((id) => view.state(id)?.bead.title).sort(),
    };
  };

  it('still reads its own consistent view after updates rewrite the hot index and the id list', () => {
    const defaults = { ...cacheLimits };
    // every update rewrites hot.idx, hot.body and ids.txt whole
    Object.assign(cacheLimits, { hotFactor: 0, hotMinBytes: 0, idTailBytes: 0 });
    later(() => Object.assign(cacheLimits, defaults));
    const { store } = repo();
    const ids = Array.from({ length: 12 }, (_, i) => createBead(store, 'a', { title: `bead ${i}`, description: 'x'.repeat(i * 7) }).id);
    readyBeads(store);
    const expected = everything(BeadStore.open(store.dir).view());
    const lazy = BeadStore.open(store.dir).view(); // nothing read yet
    const headersFirst = BeadStore.open(store.dir).view();
    void headersFirst.hotIndex().headers; // headers read, bodies not yet
    const writer = BeadStore.open(store.dir);
    closeBead(writer, 'b', ids[0]!);
    updateBead(writer, 'b', ids[5]!, { title: 'a much longer title than before, to move every offset after it' });
    createBead(writer, 'b', { title: 'new one' });
    expect(everything(lazy)).toEqual(expected);
    expect(everything(headersFirst)).toEqual(expected);
    // and a reader opened now sees the updates
    const now = everything(BeadStore.open(store.dir).view());
    expect(now.ids).toHaveLength(13);
    expect(now.hot.map((h) => h[2])).toContain('new one');
  });

  it('removes superseded versions once their successors are old enough, and a store that held one refreshes', () => {
    const defaults = { ...cacheLimits };
    Object.assign(cacheLimits, { hotFactor: 0, hotMinBytes: 0, idTailBytes: 0, retireMs: 0 });
    later(() => Object.assign(cacheLimits, defaults));
    const { store } = repo();
    const ids = Array.from({ length: 5 }, (_, i) => createBead(store, 'a', { title: `bead ${i}` }).id);
    const old = BeadStore.open(store.dir);
    expect(readyBeads(old)).toHaveLength(5);
    for (const id of ids.slice(0, 3)) closeBead(store, 'b', id);
    createBead(store, 'b', { title: 'last' });
    const genDir = readdirSync(join(store.dir, 'cache')).find((e) => /^g\d+$/.test(e))!;
    const files = readdirSync(join(store.dir, 'cache', genDir)).filter((e) => /^(hot|ids)-/.test(e)).sort();
    expect(files.length).toBeLessThanOrEqual(6); // current and previous of each at most
    expect(readyBeads(old).map((b) => b.title).sort()).toEqual(['bead 3', 'bead 4', 'last']);
  });
});

describe('a write whose cache cannot be written', () => {
  const generations = (dir: string): string[] => readdirSync(join(dir, 'cache')).filter((e) => /^g\d+$/.test(e));

  it('succeeds once its line is in the log, folding in memory, and leaves no half-built generation', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    // a directory where meta.json goes: every full build fails after writing its files, as on a full disk
    rmSync(join(store.dir, 'cache'), { recursive: true });
    mkdirSync(join(store.dir, 'cache', 'meta.json', 'x'), { recursive: true });
    const fresh = BeadStore.open(store.dir);
    const b = createBead(fresh, 'a', { title: 'two' });
    expect(b.title).toBe('two');
    expect(updateBead(fresh, 'a', a.id, { title: 'one, edited' }).title).toBe('one, edited');
    expect(listBeads(fresh).map((x) => x.title).sort()).toEqual(['one, edited', 'two']);
    expect(listBeads(BeadStore.open(store.dir)).map((x) => x.title).sort()).toEqual(['one, edited', 'two']);
    expect(readFileSync(store.logPath, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    expect(generations(store.dir)).toEqual([]);
    expect(runDoctor(BeadStore.open(store.dir)).warnings).toContainEqual(expect.stringMatching(/^the cache could not be written to .*: commands fold the log in memory/));
  });

  it('succeeds when catching the cache up fails after its line is in the log', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    expect(readyBeads(store)).toHaveLength(1);
    const [gen] = generations(store.dir);
    const idx = readdirSync(join(store.dir, 'cache', gen!)).find((e) => e.endsWith('.idx'))!;
    // the hot index cannot be appended to (nor read): a directory stands in its place
    rmSync(join(store.dir, 'cache', gen!, idx));
    mkdirSync(join(store.dir, 'cache', gen!, idx));
    const b = createBead(store, 'a', { title: 'two', deps: [{ type: 'blocks', id: a.id }] });
    expect(b.dependencies?.map((d) => d.depends_on_id)).toEqual([a.id]);
    expect(closeBead(BeadStore.open(store.dir), 'a', a.id).status).toBe('closed');
    expect(readFileSync(store.logPath, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });
});

describe('a cache deleted in the middle of a read', () => {
  it('finishes allStates from a fold in memory, every bead once', () => {
    const { store } = repo();
    const ids = Array.from({ length: 40 }, (_, i) => createBead(store, 'a', { title: `bead ${i}` }).id);
    const reader = BeadStore.open(store.dir);
    const seen: string[] = [];
    for (const { bead } of reader.allStates()) {
      if (seen.length === 3) rmSync(join(store.dir, 'cache'), { recursive: true, force: true }); // another process's rm -rf
      seen.push(bead.id);
    }
    expect(seen.sort()).toEqual(ids.sort());
  });
});

describe('a cache file shorter than its meta says', () => {
  it.each(['hot-0.idx', 'hot-0.body', 'ids-0.txt', 'shard'])('(%s truncated) is not read as fewer beads: the cache is rebuilt and every query answers in full', (file) => {
    const { store } = repo();
    const ids = Array.from({ length: 20 }, (_, i) => createBead(store, 'a', { title: `bead ${i}`, description: `about ${i}` }).id);
    closeBead(store, 'a', ids[0]!);
    const expected = { open: listBeads(store).map((b) => b.id).sort(), all: listBeads(store, { all: true }).map((b) => b.id).sort(), ready: readyBeads(store).map((b) => b.id).sort() };
    expect(expected.all).toHaveLength(20);
    const cache = join(store.dir, 'cache');
    const gen = readdirSync(cache).find((e) => /^g\d+$/.test(e))!;
    const shards = readdirSync(join(cache, gen, 'shards')).map((f) => join(cache, gen, 'shards', f));
    const path = file === 'shard' ? shards.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]! : join(cache, gen, file);
    truncateSync(path, 30);
    const fresh = BeadStore.open(store.dir);
    expect(listBeads(fresh).map((b) => b.id).sort()).toEqual(expected.open);
    expect(listBeads(BeadStore.open(store.dir), { all: true }).map((b) => b.id).sort()).toEqual(expected.all);
    expect(readyBeads(BeadStore.open(store.dir)).map((b) => b.id).sort()).toEqual(expected.ready);
    for (const id of ids) expect(BeadStore.open(store.dir).get(id).id).toBe(id);
    for (const id of ids.slice(1)) expect(BeadStore.open(store.dir).resolveId(id.slice(0, -1))).toBe(id); // through the id list
    expect(readdirSync(cache).find((e) => /^g\d+$/.test(e) && e !== gen)).toBeDefined(); // rebuilt on disk
  });

  it('does not stop the state hash (bd doctor, sync checks) either', () => {
    const { store } = repo();
    for (let i = 0; i < 20; i++) createBead(store, 'a', { title: `bead ${i}` });
    const expected = stateHash(BeadStore.open(store.dir));
    const cache = join(store.dir, 'cache');
    const gen = readdirSync(cache).find((e) => /^g\d+$/.test(e))!;
    for (const f of readdirSync(join(cache, gen, 'shards'))) if (readFileSync(join(cache, gen, 'shards', f)).length > 30) truncateSync(join(cache, gen, 'shards', f), 30);
    expect(stateHash(BeadStore.open(store.dir))).toBe(expected);
  });
});

describe('ready', () => {
  it('follows the one definition: status, deferral, record types, blockers and blocked ancestors', () => {
    const { store } = repo();
    const blocker = createBead(store, 'a', { title: 'blocker', priority: 3 });
    const epic = createBead(store, 'a', { title: 'epic', issue_type: 'epic', deps: [{ type: 'blocks', id: blocker.id }] });
    const underEpic = createBead(store, 'a', { title: 'child of blocked epic', parent: epic.id });
    const closedMid = createBead(store, 'a', { title: 'closed middle', parent: epic.id });
    const grandchild = createBead(store, 'a', { title: 'grandchild through closed parent', parent: closedMid.id });
    closeBead(store, 'a', closedMid.id);
    const urgent = createBead(store, 'a', { title: 'urgent', priority: 0 });
    createBead(store, 'a', { title: 'a message', issue_type: 'message' });
    createBead(store, 'a', { title: 'later', defer_until: '2999-01-01' });
    const waiting = createBead(store, 'a', { title: 'waits', deps: [{ type: 'waits-for', id: urgent.id }] });
    const related = createBead(store, 'a', { title: 'related only', deps: [{ type: 'related', id: urgent.id }] });
    const claimed = createBead(store, 'a', { title: 'claimed' });
    claimBead(store, 'bob', claimed.id);
    expect(readyBeads(store).map((b) => b.title)).toEqual(['urgent', 'related only', 'blocker']);
    const blocked = blockedBeads(store);
    expect(blocked.map((b) => b.id).sort()).toEqual([epic.id, underEpic.id, grandchild.id, waiting.id].sort());
    expect(blocked.find((b) => b.id === grandchild.id)!.blocked_ancestor).toBe(epic.id);
    closeBead(store, 'a', blocker.id);
    expect(readyBeads(store).map((b) => b.id)).toEqual(expect.arrayContaining([epic.id, underEpic.id, grandchild.id]));
    closeBead(store, 'a', urgent.id);
    expect(readyBeads(store).map((b) => b.id)).toContain(waiting.id);
    expect(readyBeads(store, { limit: 2 })).toHaveLength(2);
    expect(readyBeads(store, { parent: epic.id }).map((b) => b.id).sort()).toEqual([underEpic.id, grandchild.id].sort());
    void related;
    // Re-parenting a closed bead moves its descendants: the grandchild now sits under a newly blocked epic.
    const gate = createBead(store, 'a', { title: 'gate' });
    const epic2 = createBead(store, 'a', { title: 'epic two', issue_type: 'epic', deps: [{ type: 'blocks', id: gate.id }] });
    addDependency(store, 'a', closedMid.id, epic2.id, 'parent-child');
    const fresh = BeadStore.open(store.dir);
    expect(blockedBeads(fresh).find((b) => b.id === grandchild.id)?.blocked_ancestor).toBe(epic2.id);
    expect(readyBeads(fresh).map((b) => b.id)).not.toContain(grandchild.id);
  });
});

describe('the saved ready answer', () => {
  it('stays valid only until the next deferral runs out, and until the log changes', () => {
    const { store } = repo();
    const later = createBead(store, 'a', { title: 'later', defer_until: '2030-01-01T10:00:00Z' });
    const now = createBead(store, 'a', { title: 'now' });
    const at = (iso: string) => BeadStore.open(store.dir, { now: () => new Date(iso) });
    expect(readyBeads(at('2030-01-01T09:00:00Z')).map((b) => b.id)).toEqual([now.id]);
    expect(readyBeads(at('2030-01-01T09:30:00Z')).map((b) => b.id)).toEqual([now.id]); // from the saved answer
    expect(readyBeads(at('2030-01-01T10:00:01Z')).map((b) => b.id)).toEqual([later.id, now.id]); // same priority: older first
    closeBead(store, 'a', now.id);
    expect(readyBeads(at('2030-01-01T09:00:00Z')).map((b) => b.id)).toEqual([]);
  });
});

describe('the log', () => {
  it('reports a corrupt line with file and line number and leaves the log unchanged on writes', () => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    appendFileSync(store.logPath, '{"this is": not json}\n');
    const before = readFileSync(store.logPath);
    const fresh = BeadStore.open(store.dir);
    expect(() => fresh.view()).toThrow(new RegExp(`${relative(store.dir, store.logPath).replace(/\./g, '\\.')}:2: corrupt line`));
    expect(() => createBead(fresh, 'a', { title: 'two' })).toThrow(BeadsError);
    expect(readFileSync(store.logPath).equals(before)).toBe(true);
  });

  it('skips a torn final line and lets the next writer cut it', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    appendFileSync(store.logPath, '{"op_id":"torn0000000","bead":"gt-x","kind":"cre');
    const fresh = BeadStore.open(store.dir);
    expect(listBeads(fresh).map((b) => b.id)).toEqual([a.id]);
    createBead(fresh, 'a', { title: 'two' });
    const lines = readFileSync(store.logPath, 'utf8').split('\n');
    expect(lines.filter(Boolean)).toHaveLength(2);
    expect(readFileSync(store.logPath, 'utf8')).not.toContain('torn');
  });

  it.each([
    ['ended by its newline', '\n'],
    ['without its newline', ''],
  ])('reads a log (and a config) saved with a byte order mark, its first line %s, and keeps that line on the next write', (_name, end) => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    const bom = '\uFEFF';
    writeFileSync(store.logPath, bom + readFileSync(store.logPath, 'utf8').trimEnd() + end);
    const config = join(store.dir, 'config.json');
    writeFileSync(config, bom + readFileSync(config, 'utf8'));
    const fresh = BeadStore.open(store.dir);
    expect(listBeads(fresh).map((b) => b.title)).toEqual(['one']);
    expect(runDoctor(BeadStore.open(store.dir)).corrupt).toEqual([]);
    const b = createBead(fresh, 'a', { title: 'two' });
    expect(listBeads(BeadStore.open(store.dir)).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(readFileSync(store.logPath, 'utf8')).toContain('"title":"one"');
  });
});

describe('a complete last line without its newline', () => {
  const dropFinalNewline = (path: string): void => {
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    writeFileSync(path, text.slice(0, -1));
  };

  it('is an operation: folded by a fresh store and by one whose cache predates the cut, and kept by the next writer', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    const b = createBead(store, 'a', { title: 'two' });
    expect(listBeads(store).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    dropFinalNewline(store.logPath);
    expect(listBeads(store).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(listBeads(BeadStore.open(store.dir)).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    const c = createBead(BeadStore.open(store.dir), 'a', { title: 'three' });
    const lines = readFileSync(store.logPath, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).bead)).toEqual([a.id, b.id, c.id]);
    // the store whose cache covered the unterminated line catches up past the newline the writer added
    expect(listBeads(store).map((x) => x.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(runDoctor(BeadStore.open(store.dir))).toMatchObject({ ok: true, lines: 3, corrupt: [] });
  });

  it('appended by another hand without a newline is seen by a store whose cache was current', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    expect(listBeads(store).map((x) => x.id)).toEqual([a.id]);
    const first = JSON.parse(readFileSync(store.logPath, 'utf8').trim());
    appendFileSync(store.logPath, JSON.stringify({ ...first, op_id: 'handwritten0000a', bead: 'gt-byhand', lc: 2, fields: { title: 'by hand' } }));
    expect(listBeads(store).map((x) => x.id).sort()).toEqual([a.id, 'gt-byhand'].sort());
    updateBead(store, 'a', 'gt-byhand', { title: 'by hand, edited' });
    expect(BeadStore.open(store.dir).get('gt-byhand').title).toBe('by hand, edited');
    expect(readFileSync(store.logPath, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('is torn only when it does not parse and validate: doctor warns with the file and byte offset', () => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    const size = readFileSync(store.logPath).length;
    appendFileSync(store.logPath, '{"op_id":"torn0000000","bead":"gt-x","kind":"cre');
    const report = runDoctor(BeadStore.open(store.dir));
    expect(report.ok).toBe(true);
    const file = store.displayPath(relative(store.dir, store.logPath));
    expect(report.torn_tail).toEqual({ file, offset: size, bytes: 48 });
    expect(report.warnings).toContain(`${file}: a torn final line at byte ${size} (48 bytes, no newline, not a valid operation): left by a writer killed mid-write and never acknowledged; it is skipped, and the next write cuts it off`);
    createBead(BeadStore.open(store.dir), 'a', { title: 'two' });
    expect(runDoctor(BeadStore.open(store.dir)).torn_tail).toBeNull();
  });
});

describe('the logical clock bound', () => {
  it('refuses a line whose lc is above the bound as corrupt, and doctor reports it', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    const huge = { ...JSON.parse(readFileSync(store.logPath, 'utf8').trim()), op_id: 'hugeclock000000a', kind: 'set', fields: { title: 'huge' }, lc: Number.MAX_SAFE_INTEGER };
    appendFileSync(store.logPath, JSON.stringify(huge) + '\n');
    const before = readFileSync(store.logPath);
    const fresh = BeadStore.open(store.dir);
    expect(() => fresh.view()).toThrow(/\.jsonl:2: corrupt line in the bead log \(invalid lc 9007199254740991: must be <= 1099511627776\)/);
    expect(() => updateBead(fresh, 'a', a.id, { title: 'later' })).toThrow(BeadsError);
    expect(readFileSync(store.logPath).equals(before)).toBe(true);
    const report = runDoctor(BeadStore.open(store.dir));
    expect(report.ok).toBe(false);
    expect(report.corrupt).toEqual([{ file: store.displayPath(relative(store.dir, store.logPath)), line: 2, message: 'invalid lc 9007199254740991: must be <= 1099511627776' }]);
    expect(report.max_clock).toBe(1);
  });

  it('refuses a write after a line at the bound as the log\'s fault (corrupt_log naming the line), writing nothing', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    const schema = JSON.parse(readFileSync(new URL('../schemas/op.schema.json', import.meta.url), 'utf8')) as { properties: { lc: { maximum: number } } };
    expect(LC_BOUND).toBe(schema.properties.lc.maximum);
    const atBound = { ...JSON.parse(readFileSync(store.logPath, 'utf8').trim()), op_id: 'boundclock00000a', kind: 'set', fields: { title: 'at the bound' }, lc: LC_BOUND };
    appendFileSync(store.logPath, JSON.stringify(atBound) + '\n');
    const before = readFileSync(store.logPath);
    const fresh = BeadStore.open(store.dir);
    expect(fresh.get(a.id).title).toBe('at the bound'); // a valid line: read like any other
    let err: unknown;
    try {
      updateBead(fresh, 'a', a.id, { title: 'later' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BeadsError);
    expect((err as BeadsError).code).toBe('corrupt_log');
    expect((err as BeadsError).message).toMatch(/\/log\/\d{6}-[a-z0-9]{8}\.jsonl:2: the line's logical clock \(lc 1099511627776\) is at the bound/);
    expect(() => createBead(fresh, 'a', { title: 'new' })).toThrow(/is at the bound/);
    expect(readFileSync(store.logPath).equals(before)).toBe(true);
  });
});

describe('two clones merged with git', () => {
  function clones(): { a: string; b: string } {
    const base = mkdtempSync(join(tmpdir(), 'beads-merge-'));
    later(() => rmSync(base, { recursive: true, force: true }));
    git(base, 'init', '-q', '--bare', 'remote.git');
    git(base, 'clone', '-q', 'remote.git', 'a');
    const a = join(base, 'a');
    initStore(a, 'gt');
    git(a, 'add', '-A');
    git(a, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
    git(a, 'push', '-q', 'origin', 'HEAD');
    git(base, 'clone', '-q', 'remote.git', 'b');
    return { a, b: join(base, 'b') };
  }
  const commit = (dir: string, msg: string): void => {
    git(dir, 'add', '.beads');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', msg);
  };

  it('folds to identical state on both sides, splitting an id both clones created', () => {
    const { a, b } = clones();
    const sa = BeadStore.open(join(a, '.beads'));
    const sb = BeadStore.open(join(b, '.beads'));
    const shared = createBead(sa, 'alice', { title: 'shared' });
    commit(a, 'a1');
    git(a, 'push', '-q', 'origin', 'HEAD');
    git(b, '-c', 'user.name=t', '-c', 'user.email=t@t', 'pull', '-q', '--no-rebase', 'origin', 'HEAD');
    // concurrent work on both sides, including the same id created twice and claims of one bead
    createBead(sa, 'alice', { title: 'made in A', id: 'gt-clash' });
    createBead(sb, 'bob', { title: 'made in B', id: 'gt-clash' });
    updateBead(sb, 'bob', 'gt-clash', { priority: 0 });
    claimBead(sa, 'alice', shared.id);
    claimBead(sb, 'bob', shared.id);
    updateBead(sa, 'alice', shared.id, { title: 'title from A' });
    deleteBead(sb, 'bob', createBead(sb, 'bob', { title: 'gone' }).id);
    commit(a, 'a2');
    commit(b, 'b2');
    git(a, 'push', '-q', 'origin', 'HEAD');
    git(b, '-c', 'user.name=t', '-c', 'user.email=t@t', 'pull', '-q', '--no-rebase', 'origin', 'HEAD');
    git(b, 'push', '-q', 'origin', 'HEAD');
    git(a, '-c', 'user.name=t', '-c', 'user.email=t@t', 'pull', '-q', '--no-rebase', 'origin', 'HEAD');
    expect(git(b, 'status', '--porcelain')).toBe('');
    const ha = stateHash(BeadStore.open(join(a, '.beads')));
    const hb = stateHash(BeadStore.open(join(b, '.beads')));
    expect(ha).toBe(hb);
    // and the incrementally caught-up caches agree with the ones used before the merge
    expect(stateHash(sa)).toBe(ha);
    expect(stateHash(sb)).toBe(hb);
    const clash = listBeads(sa, { all: true }).filter((x) => x.id.startsWith('gt-clash'));
    expect(clash.map((x) => x.title).sort()).toEqual(['made in A', 'made in B']);
    const fromB = clash.find((x) => x.title === 'made in B')!;
    expect(fromB.priority).toBe(0);
    const holders = new Set([sa.get(shared.id).assignee, sb.get(shared.id).assignee]);
    expect(holders.size).toBe(1);
  });
});

describe('input validation', () => {
  it('rejects a 1 MB title naming the field, and writes nothing', () => {
    const { store } = repo();
    expect(() => createBead(store, 'a', { title: 'x'.repeat(1024 * 1024) })).toThrow('title is too long (1048576 characters; at most 500)');
    expect(store.logFiles().map((n) => readFileSync(join(store.dir, n), 'utf8')).join('')).toBe('');
  });
});

describe('the saved ready answer', () => {
  it('keeps only the first ready beads, and answers past them or past a filter by computing again', () => {
    const defaults = { ...cacheLimits };
    cacheLimits.readySaved = 3;
    later(() => Object.assign(cacheLimits, defaults));
    const { store } = repo();
    const ids = [4, 3, 2, 1, 0].map((p, i) => createBead(store, 'a', { title: `p${p}`, priority: p, ...(i === 0 ? { assignee: 'zed' } : {}) }).id);
    const byPriority = [...ids].reverse();
    expect(readyBeads(store, { limit: 2 }).map((b) => b.id)).toEqual(byPriority.slice(0, 2));
    const saved = JSON.parse(readFileSync(join(store.cacheDir, `g${readMeta(store.cacheDir)!.gen}`, 'ready.json'), 'utf8')) as { complete: boolean; beads: unknown[] };
    expect([saved.complete, saved.beads.length]).toEqual([false, 3]);
    const fresh = BeadStore.open(store.dir);
    expect(readyBeads(fresh, { limit: 3 }).map((b) => b.id)).toEqual(byPriority.slice(0, 3)); // from the saved ones
    expect(readyBeads(fresh).map((b) => b.id)).toEqual(byPriority); // all of them: computed again
    expect(readyBeads(fresh, { assignee: 'zed', limit: 1 }).map((b) => b.id)).toEqual([ids[0]]); // not among the saved
    closeBead(fresh, 'a', byPriority[0]!);
    expect(readyBeads(BeadStore.open(store.dir), { limit: 3 }).map((b) => b.id)).toEqual(byPriority.slice(1, 4));
  });
});
