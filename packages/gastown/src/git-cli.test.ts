// The town's git stays in the repository it is pointed at: a .git there that is not (yet) a repository is an
// error, never a walk upward into the enclosing repository (the town's), as after a git init, clone or worktree
// add killed half-way.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitAll, currentBranch, revParse } from './git-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const gitIn = (cwd: string, ...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

function outerRepo(): string {
  const town = mkdtempSync(join(tmpdir(), 'gt-gitcli-'));
  dirs.push(town);
  gitIn(town, 'init', '-q', '-b', 'main');
  writeFileSync(join(town, 'town.json'), '{}\n');
  gitIn(town, 'add', '-A');
  gitIn(town, 'commit', '-qm', 'town');
  return town;
}

describe("the town's git", () => {
  it.each([
    ['an empty .git (git init killed at once)', (d: string) => mkdirSync(join(d, '.git'), { recursive: true })],
    ['a .git without objects (killed before its last step)', (d: string) => mkdirSync(join(d, '.git', 'refs'), { recursive: true })],
    ['no .git at all (a worktree add killed before its .git file)', (d: string) => mkdirSync(d, { recursive: true })],
  ])('does not work in the enclosing repository from %s', (_what, make) => {
    const town = outerRepo();
    const rig = join(town, 'alpha', 'polecats', 'nux');
    make(rig);
    writeFileSync(join(rig, 'work.txt'), 'a polecat would commit this\n');
    const head = gitIn(town, 'rev-parse', 'HEAD');
    expect(revParse(rig, 'HEAD')).toBeNull();
    expect(() => currentBranch(rig)).toThrow(/not a git repository/);
    expect(() => commitAll(rig, 'work')).toThrow(/not a git repository/);
    expect(gitIn(town, 'rev-parse', 'HEAD')).toBe(head); // nothing was committed to the town's repository
    expect(gitIn(town, 'log', '--format=%s')).toBe('town');
  });

  it('works in a repository of its own inside another', () => {
    const town = outerRepo();
    const rig = join(town, 'alpha', 'main');
    mkdirSync(rig, { recursive: true });
    gitIn(rig, 'init', '-q', '-b', 'trunk');
    writeFileSync(join(rig, 'README'), 'alpha\n');
    expect(commitAll(rig, 'start')).toBe(true);
    expect(currentBranch(rig)).toBe('trunk');
    expect(revParse(rig, 'HEAD')).toBe(gitIn(rig, 'rev-parse', 'HEAD'));
  });
});
