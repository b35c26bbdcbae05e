// The git verbs a town needs when it adds or removes rigs, run synchronously (these are one-off commands).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

// child_process costs ~7 ms to load, and bd loads this package to route ids within a town: load it on use.
const require = createRequire(import.meta.url);

/**
 * Variables that make git work on another repository than the directory's: set where the refinery was started
 * (a git hook, a shell that exported them), they would send a town's git elsewhere: every git a town runs,
 * and the refinery's gates, run without them.
 */
export const GIT_LOCATION_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX', 'GIT_QUARANTINE_PATH'];

/** The environment for git: the process's, never prompting, less what points git at another repository. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', ...extra };
  for (const name of GIT_LOCATION_VARIABLES) delete env[name];
  return env;
}

/**
 * Keeps git to the repository at `dir` itself: without a ceiling, a `dir/.git` that is not a repository (a git
 * init, clone or worktree add killed half-way) makes git look upward and work in the enclosing one, the town's:
 * the refinery checked a rig's files out at the town's root, and a polecat's commit would land there. Every git
 * a town runs in one of its repositories (a rig's clone, a worktree, the refinery's clone) is run with it.
 */
export const ownRepositoryOnly = (dir: string): Record<string, string> => ({ GIT_CEILING_DIRECTORIES: dirname(resolve(dir)) });

function git(args: string[], cwd?: string): string {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: gitEnv(cwd ? ownRepositoryOnly(cwd) : {}) });
}

/** What git said when it failed (its standard error), else the error's message. */
const gitSaid = (err: unknown): string => String((err as { stderr?: string }).stderr || (err as Error).message).trim();

/** Whether `source` (a URL or a path) is a git repository git can read; the error text when not. */
export function probeRepository(source: string): string | null {
  try {
    git(['ls-remote', '--heads', source]);
    return null;
  } catch (err) {
    return gitSaid(err).split('\n')[0] || 'unreadable';
  }
}

export function clone(source: string, dest: string): void {
  git(['clone', '--quiet', source, dest]);
}

export function initRepository(dir: string): void {
  git(['init', '--quiet', dir]);
}

/**
 * Local work not yet on a remote: uncommitted changes (untracked files too), and commits of `revs` (default
 * HEAD) that no remote-tracking ref contains, as of the last fetch. `known` names commits whose history counts as
 * accounted for (a merged merge request's commit, landed on the target as a rebased copy).
 */
export function unmergedWork(dir: string, options: { revs?: string[]; known?: string[] } = {}): string[] {
  const out: string[] = [];
  const status = git(['status', '--porcelain'], dir).trim();
  if (status) out.push(`uncommitted changes (${status.split('\n').length} path(s))`);
  // Every remote-tracking ref, not the upstream alone: a polecat's branch has none, and is pushed under its name.
  const revs = (options.revs ?? ['HEAD']).map((r) => revParse(dir, r)).filter((r): r is string => r !== null);
  const known = (options.known ?? []).map((r) => revParse(dir, r)).filter((r): r is string => r !== null);
  const ahead = revs.length ? git(['rev-list', '--count', ...revs, '--not', '--remotes', ...known], dir).trim() : '0';
  if (ahead !== '0') out.push(`${ahead} commit(s) not pushed`);
  return out;
}

/** A new worktree at `dir` on a new branch `branch`, starting from `start` (default the clone's HEAD). */
export function addWorktree(clone: string, dir: string, branch: string, start = 'HEAD'): void {
  git(['worktree', 'add', '--quiet', '--no-track', '-b', branch, dir, start], clone);
}

/** Whether commit `ancestor` is in the history of `rev` (false when either is not a commit here). */
export function isAncestor(dir: string, ancestor: string, rev: string): boolean {
  try {
    git(['merge-base', '--is-ancestor', ancestor, rev], dir);
    return true;
  } catch {
    return false;
  }
}

/** Removes a worktree and its branch; only for one that holds no work (a sling that failed half-way). */
export function removeWorktree(clone: string, dir: string, branch: string): void {
  git(['worktree', 'remove', '--force', dir], clone);
  git(['branch', '-D', branch], clone);
}

export function branchExists(clone: string, branch: string): boolean {
  try {
    git(['rev-parse', '-q', '--verify', `refs/heads/${branch}`], clone);
    return true;
  } catch {
    return false;
  }
}

/** Fetches a remote, dropping the remote-tracking refs of branches it no longer has; git's words when it fails. */
export function fetchRemote(dir: string, remote = 'origin'): void {
  try {
    git(['fetch', '--quiet', '--prune', remote], dir);
  } catch (err) {
    throw new Error(gitSaid(err));
  }
}

/** Removes a worktree that git finds clean (it refuses one with changes or untracked files), then its branch. */
export function removeCleanWorktree(clone: string, dir: string, branch: string | null): void {
  try {
    git(['worktree', 'remove', dir], clone);
    if (branch) git(['branch', '-D', branch], clone);
  } catch (err) {
    throw new Error(gitSaid(err));
  }
}

/** The commit a revision names, or null. */
export function revParse(dir: string, rev: string): string | null {
  try {
    return git(['rev-parse', '-q', '--verify', `${rev}^{commit}`], dir).trim();
  } catch {
    return null;
  }
}

/** The checked-out branch's name ('HEAD' when detached). */
export function currentBranch(dir: string): string {
  return git(['rev-parse', '--abbrev-ref', 'HEAD'], dir).trim();
}

/** Commits everything in the work tree (new files too); false when there was nothing to commit. */
export function commitAll(dir: string, message: string): boolean {
  if (!git(['status', '--porcelain'], dir).trim()) return false;
  git(['add', '-A'], dir);
  git(['commit', '--quiet', '--no-verify', '-m', message], dir);
  return true;
}

/** The URL of a remote of the repository at `dir`, or null when it has no such remote. */
export function remoteUrl(dir: string, remote = 'origin'): string | null {
  try {
    return git(['remote', 'get-url', remote], dir).trim() || null;
  } catch {
    return null;
  }
}

/** Whether the last fetch saw `branch` on `remote` (a remote-tracking ref). */
export function remoteBranchExists(clone: string, branch: string, remote = 'origin'): boolean {
  return revParse(clone, `refs/remotes/${remote}/${branch}`) !== null;
}

/**
 * Pushes a branch to a remote under the same name, never prompting for credentials. A failure is thrown as an
 * Error whose message is git's own words.
 */
export function pushBranch(dir: string, remote: string, branch: string): void {
  try {
    git(['push', '--quiet', remote, `refs/heads/${branch}:refs/heads/${branch}`], dir);
  } catch (err) {
    throw new Error(gitSaid(err));
  }
}

/**
 * Pushes a branch that may have been rewritten (a polecat's rework), with a lease: the push goes through only
 * when the remote's branch is where this repository last saw it (its remote-tracking ref), or absent when it
 * has none, so it never replaces work it has not seen. Only for a worker's own branch, never a target.
 */
export function replaceBranch(dir: string, remote: string, branch: string): void {
  const seen = revParse(dir, `refs/remotes/${remote}/${branch}`) ?? '';
  try {
    git(['push', '--quiet', `--force-with-lease=refs/heads/${branch}:${seen}`, remote, `refs/heads/${branch}:refs/heads/${branch}`], dir);
  } catch (err) {
    throw new Error(gitSaid(err));
  }
}

/** Points a local branch at a commit, made or moved (a rescue branch, which is nobody's checkout). */
export function setBranch(dir: string, branch: string, rev: string): void {
  try {
    git(['branch', '--force', branch, rev], dir);
  } catch (err) {
    throw new Error(gitSaid(err));
  }
}

/** Points the checked-out branch at `rev` and makes the work tree match it, untracked files removed (ignored ones kept). */
export function resetHard(dir: string, rev: string): void {
  git(['reset', '--quiet', '--hard', rev], dir);
  git(['clean', '--quiet', '-fd'], dir);
}

/**
 * Keeps a pattern out of git in the repository around `dir`, through its info/exclude (shared by all its
 * worktrees, never committed). Does nothing outside a repository.
 */
export function excludeFromGit(dir: string, pattern: string): void {
  let common: string;
  try {
    common = git(['rev-parse', '--path-format=absolute', '--git-common-dir'], dir).trim();
  } catch {
    return;
  }
  const file = join(common, 'info', 'exclude');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text.split('\n').includes(pattern)) return;
  mkdirSync(join(common, 'info'), { recursive: true });
  appendFileSync(file, `${text && !text.endsWith('\n') ? '\n' : ''}${pattern}\n`);
}
