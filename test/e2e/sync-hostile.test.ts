// bd sync in repositories laid out as users really have them: a store in a subdirectory, a clone whose
// .gitattributes lacks the union line, paths with spaces. Real clones of a real bare remote.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bd, bdJson, git, writerLog } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

/** A bare remote with one commit (no store yet) and `n` clones of it, under a directory named with spaces. */
function repos(n: number): { dirs: string[] } {
  const base = mkdtempSync(join(tmpdir(), 'bd sync hostile '));
  bases.push(base);
  git(base, 'init', '-q', '--bare', 'the remote.git');
  const dirs = Array.from({ length: n }, (_, i) => join(base, `clone ${i}`));
  git(base, 'clone', '-q', 'the remote.git', dirs[0]!);
  writeFileSync(join(dirs[0]!, 'README'), 'code\n');
  git(dirs[0]!, 'add', 'README');
  git(dirs[0]!, 'commit', '-qm', 'start');
  git(dirs[0]!, 'push', '-q', 'origin', 'HEAD');
  for (const d of dirs.slice(1)) git(base, 'clone', '-q', 'the remote.git', d);
  for (const d of dirs) {
    git(d, 'config', 'user.name', 't');
    git(d, 'config', 'user.email', 't@t');
  }
  return { dirs };
}

const hash = (dir: string): string => bdJson<{ hash: string }>(dir, ['doctor']).hash;
const ids = (dir: string): string[] => bdJson<{ id: string }[]>(dir, ['list', '--all', '-n', '0']).map((b) => b.id).sort();

describe('bd sync in odd layouts', () => {
  it('shares a store in a subdirectory, its .gitattributes included, so clones writing at once still merge', () => {
    const { dirs: [a, b] } = repos(2);
    const subA = join(a!, 'sub dir');
    mkdirSync(subA);
    bd(subA, ['init', '--prefix', 'gt']);
    bdJson(subA, ['create', 'first']);
    // nothing committed by hand: the first sync shares the store
    expect(bd(subA, ['sync']).code).toBe(0);
    expect(git(a!, 'ls-files', 'sub dir')).toContain('sub dir/.gitattributes');
    expect(git(a!, 'status', '--porcelain')).toBe('');
    git(b!, 'pull', '-q', '--no-rebase');
    const subB = join(b!, 'sub dir');
    bdJson(subA, ['create', 'of a']);
    bdJson(subB, ['create', 'of b']);
    expect(bd(subA, ['sync']).code).toBe(0);
    const r = bd(subB, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(bd(subA, ['sync']).code).toBe(0);
    expect(ids(subA)).toHaveLength(3);
    expect(ids(subA)).toEqual(ids(subB));
    expect(hash(subA)).toBe(hash(subB));
  });

  it('merges the log as a union in a clone whose .gitattributes lacks the union line', () => {
    const { dirs: [a, b] } = repos(2);
    bd(a!, ['init', '--prefix', 'gt']);
    writeFileSync(join(a!, '.gitattributes'), '*.png binary\n'); // the user's own file, without the line
    git(a!, 'add', '-A');
    git(a!, 'commit', '-qm', 'store');
    git(a!, 'push', '-q', 'origin', 'HEAD');
    git(b!, 'pull', '-q', '--no-rebase');
    bdJson(a!, ['create', 'of a']);
    bdJson(b!, ['create', 'of b']);
    expect(bd(a!, ['sync']).code).toBe(0);
    const r = bd(b!, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(ids(a!)).toHaveLength(2);
    expect(ids(a!)).toEqual(ids(b!));
    expect(hash(a!)).toBe(hash(b!));
    expect(git(b!, 'status', '--porcelain')).toBe('');
  });

  it('joins the remote\'s history from a branch with no commit yet (git init, bd init, git remote add)', () => {
    const { dirs: [a] } = repos(1);
    bd(a!, ['init', '--prefix', 'gt']);
    const ofA = bdJson<{ id: string }>(a!, ['create', 'of a']).id;
    expect(bd(a!, ['sync']).code).toBe(0);
    const fresh = join(a!, '..', 'fresh clone');
    mkdirSync(fresh);
    git(fresh, 'init', '-q');
    git(fresh, 'config', 'user.name', 't');
    git(fresh, 'config', 'user.email', 't@t');
    bd(fresh, ['init', '--prefix', 'gt']);
    const ofFresh = bdJson<{ id: string }>(fresh, ['create', 'of the fresh one']).id;
    git(fresh, 'remote', 'add', 'origin', join(a!, '..', 'the remote.git'));
    const r = bd(fresh, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(fresh, 'README'), 'utf8')).toBe('code\n');
    expect(git(fresh, 'status', '--porcelain')).toBe('');
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(ids(a!)).toEqual([ofA, ofFresh].sort());
    expect(ids(fresh)).toEqual(ids(a!));
    expect(hash(fresh)).toBe(hash(a!));
  });

  it('names a stale .git/index.lock (a git killed with its sync) and when to remove it, changing nothing', () => {
    const { dirs: [a] } = repos(1);
    bd(a!, ['init', '--prefix', 'gt']);
    expect(bd(a!, ['sync']).code).toBe(0);
    const mine = bdJson<{ id: string }>(a!, ['create', 'before the lock']).id;
    const lock = join(a!, '.git', 'index.lock');
    writeFileSync(lock, '');
    const head = git(a!, 'rev-parse', 'HEAD');
    const r = bd(a!, ['sync']);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain(`${lock} exists: another git command is running in this repository, or one was killed and left it behind; if no git is running, remove it`);
    expect(r.stderr).not.toMatch(/internal|at .*\.js:\d+/);
    expect(git(a!, 'rev-parse', 'HEAD')).toBe(head);
    rmSync(lock);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(git(a!, 'show', `HEAD:${relative(a!, writerLog(a!))}`)).toContain(mine);
  });

  it('reports a lost claim although the cache\'s hot index fails midway (a file truncated under it)', () => {
    const { dirs: [a, b] } = repos(2);
    bd(a!, ['init', '--prefix', 'gt']);
    const id = bdJson<{ id: string }>(a!, ['create', 'contested']).id;
    expect(bd(a!, ['sync']).code).toBe(0);
    git(b!, 'pull', '-q', '--no-rebase');
    expect(bd(b!, ['update', id, '--claim'], { BD_ACTOR: 'bob' }).code).toBe(0);
    expect(bd(b!, ['sync']).code).toBe(0);
    bdJson(a!, ['create', 'other 1']); // alice's clock runs ahead: bob's claim comes first in the total order
    bdJson(a!, ['create', 'other 2']);
    expect(bd(a!, ['update', id, '--claim'], { BD_ACTOR: 'alice' }).code).toBe(0);
    bdJson(a!, ['list']); // the cache is current
    const cache = join(a!, '.beads', 'cache');
    const gen = readdirSync(cache).find((e) => /^g\d+$/.test(e) && readdirSync(join(cache, e)).length > 1)!;
    const body = readdirSync(join(cache, gen)).find((f) => /^hot-\d+\.body$/.test(f))!;
    truncateSync(join(cache, gen, body), 1);
    const r = bd(a!, ['sync', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { lost_claims: unknown[] }).lost_claims).toEqual([{ id, title: 'contested', holder: 'bob', lost_by: 'alice' }]);
  });

  it('shares the log where the user\'s .gitignore ignores *.jsonl', () => {
    const { dirs: [a, b] } = repos(2);
    writeFileSync(join(a!, '.gitignore'), '*.jsonl\n');
    git(a!, 'add', '.gitignore');
    git(a!, 'commit', '-qm', 'ignore jsonl');
    bd(a!, ['init', '--prefix', 'gt']);
    const id = bdJson<{ id: string }>(a!, ['create', 'shared anyway']).id;
    const r = bd(a!, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(git(a!, 'show', `HEAD:${relative(a!, writerLog(a!))}`)).toContain(id);
    expect(git(a!, 'status', '--porcelain')).toBe('');
    git(b!, 'pull', '-q', '--no-rebase');
    expect(ids(b!)).toEqual([id]);
  });

  it.each([
    ['a fast-forward', false],
    ['a merge', true],
  ])('puts back an operation that a commit on another clone removed from the log (%s)', (_name, writeHere) => {
    const { dirs: [a, b] } = repos(2);
    bd(a!, ['init', '--prefix', 'gt']);
    const made = ['one', 'two', 'three'].map((t) => bdJson<{ id: string }>(a!, ['create', t]).id);
    expect(bd(a!, ['sync']).code).toBe(0);
    git(b!, 'pull', '-q', '--no-rebase');
    // b's hand edit (or a merge resolved by hand) drops the second line, and is pushed
    const log = join(b!, relative(a!, writerLog(a!))); // a's segment, as b has it
    writeFileSync(log, readFileSync(log, 'utf8').split('\n').filter((_, i) => i !== 1).join('\n'));
    git(b!, 'commit', '-qam', 'drop a line');
    git(b!, 'push', '-q');
    if (writeHere) made.push(bdJson<{ id: string }>(a!, ['create', 'four']).id);
    const r = bd(a!, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(ids(a!)).toEqual([...made].sort());
    expect(git(a!, 'status', '--porcelain')).toBe('');
    expect(bd(b!, ['sync']).code).toBe(0);
    expect(ids(b!)).toEqual([...made].sort());
    expect(hash(b!)).toBe(hash(a!));
  });

  it('syncs with the branch the local one tracks, also under another name (main tracking origin/master)', () => {
    const { dirs: [a, b] } = repos(2);
    bd(a!, ['init', '--prefix', 'gt']);
    const first = bdJson<{ id: string }>(a!, ['create', 'of a']).id;
    expect(bd(a!, ['sync']).code).toBe(0);
    const trunk = git(a!, 'rev-parse', '--abbrev-ref', 'HEAD').trim();
    git(b!, 'pull', '-q', '--no-rebase');
    git(b!, 'branch', '-m', trunk, 'mine'); // still tracking origin/<trunk>
    const second = bdJson<{ id: string }>(b!, ['create', 'of b']).id;
    const r = bdJson<{ remote: string; branch: string; pushed: boolean }>(b!, ['sync']);
    expect([r.remote, r.branch, r.pushed]).toEqual(['origin', trunk, true]);
    expect(git(b!, 'ls-remote', '--heads', 'origin').trim().split('\n')).toHaveLength(1);
    expect(bd(a!, ['sync']).code).toBe(0);
    expect(ids(a!)).toEqual([first, second].sort());
  });
});
