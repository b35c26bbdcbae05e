import { afterEach, describe, expect, it } from '@jest/globals';

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bd, bdAsync, bdJson, git, clones, logText, writerLog } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));


const hash = (dir: string): string => bdJson<{ hash: string }>(dir, ['doctor']).hash;
interface Sync {
  out: { operations: number; beads: number };
  in: { operations: number; beads: number };
  retries: number;
  lost_claims: { id: string; title: string; holder: string; lost_by: string }[];
}

describe('bd sync', () => {
  it('carries a quarantine with the log: a clone that receives the fixed log also receives the moved line', () => {
    const [a, b] = clones(2, bases).dirs;
    bdJson(a!, ['create', 'first']);
    const bad = '{"op_id":"zz","bead":"gt-x"}';
    const segment = writerLog(a!);
    writeFileSync(segment, readFileSync(segment, 'utf8') + bad + '\n');
    // the corrupt line reaches both clones through git, as a hand edit would
    git(a!, 'add', '.beads');
    git(a!, 'commit', '-qm', 'a hand edit');
    git(a!, 'push', '-q', 'origin', 'HEAD');
    git(b!, 'pull', '-q');
    expect(bd(b!, ['list']).code).toBe(6);
    expect(bdJson<{ quarantined: { moved: { text: string }[] } }>(a!, ['doctor', '--fix']).quarantined.moved.map((m) => m.text)).toEqual([bad]);
    bdJson(a!, ['create', 'after the fix']);
    expect(bdJson<Sync>(a!, ['sync'])).toMatchObject({ out: { operations: 1 }, in: { operations: 0 } });
    expect(git(a!, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).toEqual([relative(a!, segment), '.beads/ops.corrupt.jsonl', '.gitattributes'].sort());
    // b, still holding the corrupt line, syncs: the line leaves its log and arrives in its quarantine file
    expect(bdJson<Sync>(b!, ['sync'])).toMatchObject({ out: { operations: 0 }, in: { operations: 1 } });
    expect(logText(b!)).not.toContain(bad);
    expect(readFileSync(join(b!, '.beads', 'ops.corrupt.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).text)).toEqual([bad]);
    expect(bdJson<{ title: string }[]>(b!, ['list']).map((x) => x.title).sort()).toEqual(['after the fix', 'first']);
    expect(hash(a!)).toBe(hash(b!));
  });

  it('exchanges operations between clones, commits only the store, and leaves staged work alone', () => {
    const [a, b] = clones(2, bases).dirs;
    bdJson(a!, ['create', 'from a']);
    writeFileSync(join(a!, 'wip.txt'), 'half done\n');
    git(a!, 'add', 'wip.txt');
    writeFileSync(join(a!, 'README'), 'edited, not staged\n');
    expect(bdJson<Sync>(a!, ['sync'])).toMatchObject({ out: { operations: 1, beads: 1 }, in: { operations: 0 } });
    expect(git(a!, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe(relative(a!, writerLog(a!)));
    expect(git(a!, 'status', '--porcelain')).toBe(' M README\nA  wip.txt\n');
    bdJson(b!, ['create', 'from b'], { BD_ACTOR: 'bob' });
    // git's own environment reaches git (simple-git would strip it): the commit is bob's
    const bob = { BD_ACTOR: 'bob', GIT_AUTHOR_NAME: 'Bob Agent', GIT_AUTHOR_EMAIL: 'bob@example.invalid' };
    expect(bdJson<Sync>(b!, ['sync'], bob)).toMatchObject({ out: { operations: 1 }, in: { operations: 1, beads: 1 } });
    expect(git(b!, 'log', '--format=%an <%ae>', '-1', 'HEAD^1')).toBe('Bob Agent <bob@example.invalid>\n');
    bdJson(a!, ['create', 'a again']);
    expect(bdJson<Sync>(a!, ['sync', '--dry-run'])).toMatchObject({ out: { operations: 1 }, in: { operations: 1 } });
    expect(bdJson<Sync>(a!, ['sync'])).toMatchObject({ out: { operations: 1 }, in: { operations: 1 } });
    expect(git(a!, 'status', '--porcelain')).toBe(' M README\nA  wip.txt\n');
    bdJson<Sync>(b!, ['sync'], { BD_ACTOR: 'bob' });
    expect(hash(a!)).toBe(hash(b!));
    expect(bdJson<{ title: string }[]>(b!, ['list']).map((x) => x.title).sort()).toEqual(['a again', 'from a', 'from b']);
    // every commit sync made touched the store and nothing else
    const touched = git(a!, 'log', '--format=', '--name-only', 'HEAD', '^HEAD~3').split('\n').filter(Boolean);
    // each clone's operations are in its own segment, which only it writes
    expect(new Set(touched)).toEqual(new Set([relative(a!, writerLog(a!)), relative(b!, writerLog(b!))]));
  });

  it('lets two clones push at the same moment: both end up synced, nothing lost', async () => {
    const [a, b] = clones(2, bases).dirs;
    for (let i = 0; i < 5; i++) {
      bdJson(a!, ['create', `a${i}`]);
      bdJson(b!, ['create', `b${i}`], { BD_ACTOR: 'bob' });
    }
    const [ra, rb] = await Promise.all([bdAsync(a!, ['sync', '--json']), bdAsync(b!, ['sync', '--json'], { BD_ACTOR: 'bob' })]);
    expect([ra.code, rb.code, ra.stderr, rb.stderr]).toEqual([0, 0, '', '']);
    bdJson(a!, ['sync']);
    bdJson(b!, ['sync'], { BD_ACTOR: 'bob' });
    expect(hash(a!)).toBe(hash(b!));
    expect(bdJson<unknown[]>(a!, ['list', '-n', '0'])).toHaveLength(10);
    const logA = logText(a!).trim().split('\n');
    expect(logA).toHaveLength(10);
  });

  it('serialises syncs started at the same moment in one clone: all succeed, none is lost', async () => {
    const [a, b] = clones(2, bases).dirs;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) bdJson(a!, ['create', `round ${round} bead ${i}`]);
      // Without the sync lock these would fight over git's index.lock and the remote ref.
      const results = await Promise.all([0, 1, 2, 3].map(() => bdAsync(a!, ['sync', '--json'])));
      expect(results.map((r) => [r.code, r.stderr])).toEqual(results.map(() => [0, '']));
      const sent = results.map((r) => (JSON.parse(r.stdout) as Sync).out.operations);
      expect(sent.reduce((x, y) => x + y, 0)).toBe(3); // each operation went out in exactly one of them
    }
    bdJson(b!, ['sync'], { BD_ACTOR: 'bob' });
    expect(bdJson<unknown[]>(b!, ['list', '-n', '0'])).toHaveLength(6);
    expect(git(a!, 'status', '--porcelain')).toBe('');
  });

  it('tells the loser of two claims made apart that it lost, and who holds the bead', () => {
    const [a, b] = clones(2, bases).dirs;
    const { id } = bdJson<{ id: string }>(a!, ['create', 'contested']);
    bdJson(a!, ['sync']);
    bdJson(b!, ['sync'], { BD_ACTOR: 'bob' });
    bdJson(a!, ['update', id, '--claim']);
    bdJson(a!, ['sync']);
    bdJson(b!, ['update', id, '--claim'], { BD_ACTOR: 'bob' }); // bob has not seen the other claim yet
    // Both claims carry the same logical clock; the total order (then the op id) decides, the same everywhere.
    const fromB = bdJson<Sync>(b!, ['sync'], { BD_ACTOR: 'bob' });
    const fromA = bdJson<Sync>(a!, ['sync']);
    const winner = bdJson<{ assignee: string }[]>(a!, ['show', id])[0]!.assignee;
    expect(bdJson<{ assignee: string }[]>(b!, ['show', id])[0]!.assignee).toBe(winner);
    const loser = winner === 'bob' ? 'tester' : 'bob';
    const reports = [...fromB.lost_claims, ...fromA.lost_claims];
    expect(reports).toEqual([{ id, title: 'contested', holder: winner, lost_by: loser }]);
    expect((winner === 'bob' ? fromA : fromB).lost_claims).toHaveLength(1); // told in the loser's clone
    expect(bdJson<Sync>(a!, ['sync']).lost_claims).toEqual([]);
  });

  it('merges a feature branch with store and code changes into main without conflict', () => {
    const [a] = clones(1, bases).dirs;
    git(a!, 'checkout', '-q', '-b', 'feature');
    bdJson(a!, ['create', 'on the branch']);
    writeFileSync(join(a!, 'feature.txt'), 'code\n');
    git(a!, 'add', '-A');
    git(a!, 'commit', '-qm', 'feature work');
    git(a!, 'checkout', '-q', '-');
    bdJson(a!, ['create', 'on main']);
    git(a!, 'add', '-A');
    git(a!, 'commit', '-qm', 'main work');
    git(a!, 'merge', '-q', '--no-edit', 'feature');
    expect(git(a!, 'status', '--porcelain')).toBe('');
    expect(bdJson<{ title: string }[]>(a!, ['list']).map((x) => x.title).sort()).toEqual(['on main', 'on the branch']);
    expect(bdJson<{ ok: boolean }>(a!, ['doctor']).ok).toBe(true);
  });

  it('says what to do without a remote, outside git, and during a merge, writing nothing', () => {
    const base = mkdtempSync(join(tmpdir(), 'bd-sync-bad-'));
    bases.push(base);
    git(base, 'init', '-q');
    bd(base, ['init', '--prefix', 'gt']);
    const noRemote = bd(base, ['sync']);
    expect(noRemote.code).toBe(10);
    expect(noRemote.stderr).toMatch(/no git remote to sync with .*git remote add origin/);
    expect(() => git(base, 'rev-parse', '--verify', 'HEAD')).toThrow(); // nothing was committed
    const plain = mkdtempSync(join(tmpdir(), 'bd-sync-plain-'));
    bases.push(plain);
    bd(plain, ['init', '--prefix', 'gt']);
    expect(bd(plain, ['sync', '--json']).stdout).toMatch(/"code": "sync_failed"[\s\S]*not inside a git repository/);
    git(base, 'remote', 'add', 'origin', join(base, 'nowhere.git'));
    const unreachable = bd(base, ['sync']);
    expect(unreachable.code).toBe(10);
    expect(unreachable.stderr).toMatch(/fetching origin: the remote is not a reachable git repository/);
    // A remote that refuses the credentials, as an ssh server does: the message says so.
    const refuse = join(base, 'refuse-ssh.sh');
    writeFileSync(refuse, '#!/bin/sh\necho "git@example.invalid: Permission denied (publickey)." >&2\nexit 255\n', { mode: 0o755 });
    git(base, 'remote', 'set-url', 'origin', 'git@example.invalid:team/project.git');
    const refused = bd(base, ['sync'], { GIT_SSH_COMMAND: refuse });
    expect(refused.code).toBe(10);
    expect(refused.stderr).toMatch(/fetching origin: the remote refused the credentials; check your access to it/);
    expect(() => git(base, 'rev-parse', '--verify', 'HEAD')).toThrow();

    const [a] = clones(1, bases).dirs;
    git(a!, 'checkout', '-q', '-b', 'other');
    writeFileSync(join(a!, 'README'), 'theirs\n');
    git(a!, 'commit', '-qam', 'theirs');
    git(a!, 'checkout', '-q', '-');
    writeFileSync(join(a!, 'README'), 'ours\n');
    git(a!, 'commit', '-qam', 'ours');
    expect(() => git(a!, 'merge', 'other')).toThrow();
    const head = git(a!, 'rev-parse', 'HEAD');
    const midMerge = bd(a!, ['sync']);
    expect(midMerge.code).toBe(10);
    expect(midMerge.stderr).toMatch(/a merge is in progress in .* with conflicts in README: finish it \(or git merge --abort\), then bd sync/);
    expect(git(a!, 'rev-parse', 'HEAD')).toBe(head);
    git(a!, 'merge', '--abort');

    // a remote whose branch is another project's history
    const strange = join(base, 'strange');
    git(base, 'init', '-q', strange);
    writeFileSync(join(strange, 'OTHER'), 'another project\n');
    git(strange, 'add', '-A');
    git(strange, 'commit', '-qm', 'unrelated');
    git(a!, 'remote', 'set-url', 'origin', strange);
    git(strange, 'branch', '-qm', git(a!, 'branch', '--show-current').trim());
    bdJson(a!, ['create', 'kept here']);
    const unrelated = bd(a!, ['sync']);
    expect(unrelated.code).toBe(10);
    expect(unrelated.stderr).toMatch(/has a history unrelated to this branch's: if it is the same project, merge it by hand \(git pull --allow-unrelated-histories\)/);
    expect(existsSync(join(a!, 'OTHER'))).toBe(false);
    expect(bdJson<{ title: string }[]>(a!, ['list']).map((x) => x.title)).toContain('kept here');
  });
});
