// bd sync against what a busy town and a messy work tree do to it: writers appending while it runs (in other
// processes and in its own), conflicts outside the store, a rebase in progress, a remote hook that refuses, the
// user's staged changes, a torn final line. Real clones of a real bare remote.
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bd, bdAsync, bdJson, type Result, git, clones, writerLog } from './helpers.js';
import { BeadStore, createBead } from '@gastown/beads';
import { syncStore } from '@gastown/beads/sync';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

const ids = (dir: string): Set<string> => new Set(bdJson<{ id: string }[]>(dir, ['list', '--all', '-n', '0']).map((b) => b.id));
const hash = (dir: string): string => bdJson<{ hash: string }>(dir, ['doctor']).hash;
const failures = (results: Result[]): string[] => results.filter((r) => r.code !== 0).map((r) => `${r.code}: ${r.stderr}${r.stdout}`);

describe('bd sync under load and in a messy work tree', () => {
  it('loses no acknowledged write while three writers and a sync loop share one clone and a second clone writes and syncs', async () => {
    const { dirs: [a, b] } = clones(2, bases);
    const acked: string[] = [];
    const creates: Result[] = [];
    const syncs: Result[] = [];
    const writer = async (dir: string, n: number, actor: string): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const r = await bdAsync(dir, ['create', `${actor} ${i}`, '--json'], { BD_ACTOR: actor });
        creates.push(r);
        if (r.code === 0) acked.push((JSON.parse(r.stdout) as { id: string }).id);
      }
    };
    const syncer = async (dir: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) syncs.push(await bdAsync(dir, ['sync', '--json']));
    };
    await Promise.all([writer(a!, 12, 'w1'), writer(a!, 12, 'w2'), writer(a!, 12, 'w3'), syncer(a!, 8), writer(b!, 8, 'bob'), syncer(b!, 5)]);
    expect(failures(creates)).toEqual([]);
    expect(failures(syncs)).toEqual([]);
    for (const dir of [a!, b!, a!]) expect(bd(dir, ['sync']).code).toBe(0);
    expect(acked).toHaveLength(44);
    const inA = ids(a!);
    const inB = ids(b!);
    expect(acked.filter((id) => !inA.has(id))).toEqual([]);
    expect(acked.filter((id) => !inB.has(id))).toEqual([]);
    expect(hash(a!)).toBe(hash(b!));
    expect(git(a!, 'status', '--porcelain')).toBe('');
  });

  it('loses no write made in its own process between its steps', async () => {
    const { dirs: [a, b] } = clones(2, bases);
    const store = BeadStore.open(join(a!, '.beads'));
    const acked: string[] = [];
    let writing = true;
    // A writer in the same process, writing whenever the sync awaits git.
    const loop = (async () => {
      while (writing) {
        acked.push(createBead(store, 'inproc', { title: `in-process ${acked.length}` }).id);
        await new Promise((r) => setImmediate(r));
      }
    })();
    bdJson(b!, ['create', 'from b']);
    bdJson(b!, ['sync']);
    for (let i = 0; i < 4; i++) {
      await syncStore(store);
      bdJson(b!, ['create', `b ${i}`]);
      bdJson(b!, ['sync']);
    }
    writing = false;
    await loop;
    await syncStore(store);
    bdJson(b!, ['sync']);
    expect(acked.length).toBeGreaterThan(4);
    const inA = ids(a!);
    const inB = ids(b!);
    expect(acked.filter((id) => !inA.has(id))).toEqual([]);
    expect(acked.filter((id) => !inB.has(id))).toEqual([]);
    expect(hash(a!)).toBe(hash(b!));
  });

  it('stops with exit 10 and no half-done merge when a file outside the store conflicts', () => {
    const { dirs: [a, b] } = clones(2, bases);
    writeFileSync(join(a!, 'C2.txt'), 'from a\n');
    git(a!, 'add', 'C2.txt');
    git(a!, 'commit', '-qm', 'a: C2');
    writeFileSync(join(b!, 'C2.txt'), 'from b\n');
    git(b!, 'add', 'C2.txt');
    git(b!, 'commit', '-qm', 'b: C2');
    bdJson(a!, ['create', 'bead of a']);
    const mine = bdJson<{ id: string }>(b!, ['create', 'bead of b']).id;
    expect(bd(a!, ['sync']).code).toBe(0);
    const second = bd(b!, ['sync']);
    expect(second.code).toBe(10);
    expect(second.stderr).toMatch(/conflicts in files that are not the store's \(C2\.txt\)/);
    expect(second.stderr).not.toMatch(/internal|at .*\.js:\d+/);
    expect(existsSync(join(b!, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(readFileSync(join(b!, 'C2.txt'), 'utf8')).toBe('from b\n');
    expect(git(b!, 'status', '--porcelain')).toBe('');
    expect(ids(b!).has(mine)).toBe(true);
    // resolved by hand, the next sync goes through
    expect(() => git(b!, 'pull', '-q', '--no-rebase', '--no-edit')).toThrow();
    writeFileSync(join(b!, 'C2.txt'), 'both\n');
    git(b!, 'add', 'C2.txt');
    git(b!, 'commit', '-qm', 'resolved', '--no-edit');
    expect(bd(b!, ['sync']).code).toBe(0);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(hash(a!)).toBe(hash(b!));
  });

  it('during a rebase, says to finish or abort the rebase', () => {
    const { dirs: [a] } = clones(1, bases);
    git(a!, 'checkout', '-q', '-b', 'topic');
    writeFileSync(join(a!, 'README'), 'topic\n');
    git(a!, 'commit', '-qam', 'topic');
    git(a!, 'checkout', '-q', '-');
    writeFileSync(join(a!, 'README'), 'main\n');
    git(a!, 'commit', '-qam', 'main');
    git(a!, 'checkout', '-q', 'topic');
    expect(() => git(a!, 'rebase', '-q', git(a!, 'rev-parse', '@{-1}').trim())).toThrow();
    const r = bd(a!, ['sync']);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/a rebase is in progress .*: finish it \(git rebase --continue\) or abort it \(git rebase --abort\), then bd sync/);
    expect(r.stderr).not.toMatch(/detached/);
  });

  it('does not retry a push that a server hook refuses, and shows what the hook said', () => {
    const { remote, dirs: [a] } = clones(1, bases);
    const calls = join(remote, 'hook-calls');
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(hook, `#!/bin/sh\necho run >> "${calls}"\necho "policy: pushes to this branch need review" >&2\nexit 1\n`);
    chmodSync(hook, 0o755);
    bdJson(a!, ['create', 'refused']);
    const r = bd(a!, ['sync']);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/the remote refused the push/);
    expect(r.stderr).toMatch(/policy: pushes to this branch need review/);
    expect(readFileSync(calls, 'utf8')).toBe('run\n');
  });

  it('leaves staged work staged, unstashed, when incoming changes touch a staged file, and says which', () => {
    const { dirs: [a, b] } = clones(2, bases);
    writeFileSync(join(a!, 'README'), 'changed on a\n');
    writeFileSync(join(a!, 'added.txt'), 'added on a\n');
    git(a!, 'add', 'README', 'added.txt');
    git(a!, 'commit', '-qm', 'a: README and added.txt');
    git(a!, 'push', '-q', 'origin', 'HEAD');
    bdJson(b!, ['create', 'bead of b']);
    writeFileSync(join(b!, 'README'), 'staged on b\n');
    writeFileSync(join(b!, 'new.txt'), 'unrelated new file\n');
    writeFileSync(join(b!, 'added.txt'), 'untracked on b\n');
    git(b!, 'add', 'README', 'new.txt');
    const r = bd(b!, ['sync']);
    expect(r.code).toBe(10);
    // every path in the way is named at once (git itself stops at the first)
    expect(r.stderr).toMatch(/\((README, added\.txt|added\.txt, README)\)/);
    expect(readFileSync(join(b!, 'added.txt'), 'utf8')).toBe('untracked on b\n');
    expect(r.stderr).not.toMatch(/new\.txt/);
    expect(r.stderr).toMatch(/commit .* or set .* aside/);
    expect(git(b!, 'stash', 'list')).toBe('');
    expect(git(b!, 'diff', '--cached', '--name-only').split('\n').filter(Boolean).sort()).toEqual(['README', 'new.txt']);
    expect(readFileSync(join(b!, 'README'), 'utf8')).toBe('staged on b\n');
    expect(existsSync(join(b!, '.git', 'MERGE_HEAD'))).toBe(false);
  });

  it('merges with unrelated staged work kept staged and never stashed', () => {
    const { dirs: [a, b] } = clones(2, bases);
    writeFileSync(join(a!, 'README'), 'changed on a\n');
    git(a!, 'commit', '-qam', 'a: README');
    bdJson(a!, ['create', 'bead of a']);
    expect(bd(a!, ['sync']).code).toBe(0);
    bdJson(b!, ['create', 'bead of b']);
    writeFileSync(join(b!, 'new.txt'), 'unrelated new file\n');
    git(b!, 'add', 'new.txt');
    expect(bd(b!, ['sync']).code).toBe(0);
    expect(readFileSync(join(b!, 'README'), 'utf8')).toBe('changed on a\n');
    expect(git(b!, 'diff', '--cached', '--name-only')).toBe('new.txt\n');
    expect(git(b!, 'stash', 'list')).toBe('');
    expect(git(b!, 'show', '--name-only', '--format=', 'HEAD~1').includes('new.txt')).toBe(false);
  });

  it('never commits a torn final line', () => {
    const { dirs: [a] } = clones(1, bases);
    bdJson(a!, ['create', 'whole']);
    appendFileSync(writerLog(a!), '{"op_id":"torn","bead":"gt-');
    expect(bd(a!, ['sync']).code).toBe(0);
    const committed = git(a!, 'show', `HEAD:${relative(a!, writerLog(a!))}`);
    expect(committed.endsWith('\n')).toBe(true);
    expect(committed).not.toContain('"op_id":"torn"');
    for (const line of committed.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
});
