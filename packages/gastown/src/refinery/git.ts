// The refinery's git: its own clone of the rig's repository, candidates built without touching a worktree
// (merge-tree and commit-tree), and a push that is a compare-and-set. Every failure of git itself is an
// InfraError, so that it never blames a merge request.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import type { MergeStyle } from '../town/index.js';

import { sleepSync } from '@gastown/beads';
import { gitEnv, ownRepositoryOnly } from '../git-cli.js';

export { GIT_LOCATION_VARIABLES, gitEnv } from '../git-cli.js';

const require = createRequire(import.meta.url);

/** git (or the disk) failed: not the merge request's fault. */
export class InfraError extends Error {}

/** A merge request's change does not apply to the target: the paths that conflict. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly files: string[],
  ) {
    super(message);
  }
}

interface GitResult {
  status: number;
  stdout: string;
  stderr: string;
}


function run(dir: string, args: string[], env?: Record<string, string>): GitResult {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: gitEnv({ ...ownRepositoryOnly(dir), ...env }) });
    if (r.error) throw new InfraError(`git ${args[0]}: ${r.error.message}`);
    // A lock file in the refinery's clone, which one refinery at a time works in (it holds the rig's lock), is
    // left by a git that outlived a refinery killed a moment ago: a SIGKILLed process can finish the system
    // call it is in, so its git may create index.lock or config.lock just after the next refinery cleared them.
    if (r.status !== 0 && attempt < 3 && STALE_LOCK.test(r.stderr) && existsSync(join(dir, '.git'))) {
      sleepSync(100);
      clearStaleLocks(dir);
      continue;
    }
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }
}


const STALE_LOCK = /Unable to create '[^']*\.lock': File exists|could not lock config file .*: File exists/;

/** The last lines of what a program said, as one line (blank lines skipped: git ends its advice with them). */
export const lastLines = (text: string, n = 3): string => text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' ');

/** git that must succeed; its output, trimmed. */
export function git(dir: string, args: string[], env?: Record<string, string>): string {
  const r = run(dir, args, env);
  if (r.status !== 0) throw new InfraError(`git ${args.join(' ')} failed in ${dir}: ${lastLines(r.stderr || r.stdout)}`);
  return r.stdout.trim();
}

/** The blob a revision (`commit:path`) names in `dir`, or null when there is no such file. */
export function resolveBlob(dir: string, rev: string): string | null {
  const r = run(dir, ['rev-parse', '-q', '--verify', rev]);
  if (r.status !== 0) return null;
  const id = r.stdout.trim();
  return run(dir, ['cat-file', '-t', id]).stdout.trim() === 'blob' ? id : null;
}

/** The commit a revision names in `dir`, or null. */
export function resolveCommit(dir: string, rev: string): string | null {
  const r = run(dir, ['rev-parse', '-q', '--verify', `${rev}^{commit}`]);
  return r.status === 0 ? r.stdout.trim() : null;
}

export const treeOf = (dir: string, commit: string): string => git(dir, ['rev-parse', `${commit}^{tree}`]);

export function isAncestor(dir: string, ancestor: string, of: string): boolean {
  const r = run(dir, ['merge-base', '--is-ancestor', ancestor, of]);
  if (r.status > 1) throw new InfraError(`git merge-base failed: ${r.stderr.trim()}`);
  return r.status === 0;
}

/** Whether `dir` holds a repository of its own (a `.git` that git takes for one, not just a directory of that name). */
export function isOwnRepository(dir: string): boolean {
  if (!existsSync(join(dir, '.git'))) return false;
  const r = run(dir, ['rev-parse', '--absolute-git-dir']);
  return r.status === 0 && r.stdout.trim() === join(realpathSync(dir), '.git');
}

/**
 * The refinery's own clone (its directory, which may already hold its session's files): made with init and
 * fetch rather than clone, so an interrupted first run is finished by the next. A `.git` that is not yet a
 * repository (git init killed after it made the directory) is initialised again: git init completes it.
 * `origin` is the rig's remote; `rig` is the rig's canonical clone, which holds the branches of merge requests
 * filed without a push.
 */
export function ensureClone(dir: string, origin: string, rigClone: string): void {
  mkdirSync(dir, { recursive: true });
  if (!isOwnRepository(dir)) {
    // What is there already is the refinery session's (its runtime's settings, say), not the repository's: no
    // checkout has happened without a repository. Excluded, so that cleaning the worktree never removes it.
    const before = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.name !== '.git')
      .map((e) => `/${e.name}${e.isDirectory() ? '/' : ''}`);
    git(dir, ['init', '--quiet']);
    const exclude = join(dir, '.git', 'info', 'exclude');
    const listed = existsSync(exclude) ? readFileSync(exclude, 'utf8').split('\n') : [];
    const missing = before.filter((p) => !listed.includes(p));
    if (missing.length) {
      mkdirSync(dirname(exclude), { recursive: true });
      appendFileSync(exclude, `# the refinery session's own files\n${missing.join('\n')}\n`);
    }
  }
  const remotes = git(dir, ['remote']).split('\n');
  if (!remotes.includes('origin')) git(dir, ['remote', 'add', 'origin', origin]);
  else if (git(dir, ['remote', 'get-url', 'origin']) !== origin) git(dir, ['remote', 'set-url', 'origin', origin]);
  // (both are set again when they moved: a town renamed, a rig re-pointed at another remote)
  if (!remotes.includes('rig')) git(dir, ['remote', 'add', 'rig', rigClone]);
  else if (git(dir, ['remote', 'get-url', 'rig']) !== rigClone) git(dir, ['remote', 'set-url', 'rig', rigClone]);
  // written only when they differ: every round comes here, and a write takes .git/config.lock
  for (const [key, value] of [['user.name', 'Gas Town refinery'], ['user.email', 'refinery@gastown.invalid'], ['gc.auto', '0']] as const) {
    if (run(dir, ['config', '--get', key]).stdout.trim() !== value) git(dir, ['config', key, value]);
  }
}

/**
 * Removes the lock files a git killed mid-way leaves in a clone (the index's, HEAD's, the config's, refs'):
 * while they stand, every later checkout, fetch or config fails. Only for a clone no other git is working
 * in: the refinery's own, under the rig's refinery lock. Returns the files removed.
 */
export function clearStaleLocks(dir: string): string[] {
  const gitDir = join(dir, '.git');
  if (!existsSync(gitDir)) return [];
  const removed: string[] = [];
  const remove = (path: string): void => {
    rmSync(path, { force: true });
    removed.push(path);
  };
  for (const name of ['index.lock', 'HEAD.lock', 'config.lock', 'packed-refs.lock', 'shallow.lock', 'FETCH_HEAD.lock', 'ORIG_HEAD.lock']) if (existsSync(join(gitDir, name))) remove(join(gitDir, name));
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.lock')) remove(path);
    }
  };
  if (existsSync(join(gitDir, 'refs'))) walk(join(gitDir, 'refs'));
  return removed;
}

/** Fetches the remote's branches (pruning deleted ones) into refs/remotes/<remote>/. */
export function fetchRemote(dir: string, remote: string): void {
  const r = run(dir, ['fetch', '--quiet', '--prune', remote, `+refs/heads/*:refs/remotes/${remote}/*`]);
  if (r.status !== 0) {
    const url = run(dir, ['remote', 'get-url', remote]).stdout.trim();
    throw new InfraError(`cannot fetch from ${remote} (${url || 'no url'}): ${lastLines(r.stderr || r.stdout, 2)}`);
  }
}

/** The remote's branch as it is now (ls-remote, not the last fetch), or null when it has none. */
export function remoteTip(dir: string, remote: string, branch: string): string | null {
  const out = git(dir, ['ls-remote', remote, `refs/heads/${branch}`]);
  return out ? out.split(/\s+/)[0]! : null;
}

/**
 * The worktree back to a commit, clean: an operation a killed refinery left in progress is given up, the
 * commit checked out by force (what a checkout killed half-way left, files missing or half-written, is
 * written again: git compares every tracked file with the index), and what is not tracked is removed. Ignored
 * files stay: the refinery session's own (listed in .git/info/exclude) and the gates' caches (node_modules).
 */
export function checkoutClean(dir: string, commit: string): void {
  const gitDir = join(dir, '.git');
  // (only when one is in progress: each is a git run, and this comes before every gate)
  if (existsSync(join(gitDir, 'CHERRY_PICK_HEAD')) || existsSync(join(gitDir, 'sequencer'))) run(dir, ['cherry-pick', '--quit']);
  if (existsSync(join(gitDir, 'MERGE_HEAD'))) run(dir, ['merge', '--abort']);
  if (existsSync(join(gitDir, 'rebase-merge')) || existsSync(join(gitDir, 'rebase-apply'))) run(dir, ['rebase', '--quit']);
  git(dir, ['checkout', '--quiet', '--force', '--detach', commit]);
  git(dir, ['clean', '-fdq']);
}

/**
 * The clone made whole again before a gate is run once more (its command was not found although the commit has
 * it): the lock files a killed git left removed, then the commit checked out clean. Only for the refinery's own
 * clone, under the rig's refinery lock, between its own git runs: no git of ours holds a lock then.
 */
export function restoreClone(dir: string, commit: string): string[] {
  const removed = clearStaleLocks(dir);
  checkoutClean(dir, commit);
  return removed;
}

/** Whether `path` (relative to the repository's root) is in the commit's tree. */
export function inTree(dir: string, commit: string, path: string): boolean {
  const clean = posix.normalize(path);
  if (clean.startsWith('../') || clean === '..' || clean.startsWith('/')) return false;
  return run(dir, ['cat-file', '-e', `${commit}:${clean}`]).status === 0;
}

/** Whether the worktree holds nothing but its checked-out commit (ignored files aside). */
export function worktreeClean(dir: string): boolean {
  return git(dir, ['status', '--porcelain']) === '';
}

/** Merges two commits in memory: the tree, or the conflicting paths. */
function mergeTrees(dir: string, ours: string, theirs: string): { tree: string } | { conflicts: string[] } {
  const r = run(dir, ['merge-tree', '--write-tree', '--name-only', '--no-messages', ours, theirs]);
  const lines = r.stdout.trim().split('\n');
  if (r.status === 0) return { tree: lines[0]! };
  if (r.status === 1) return { conflicts: lines.slice(1).filter(Boolean) };
  throw new InfraError(`git merge-tree failed: ${r.stderr.trim()}`);
}

/** Conflicting paths between the target and a commit (empty when it merges cleanly); never touches a worktree. */
export function conflictsWith(dir: string, target: string, commit: string): string[] {
  const m = mergeTrees(dir, target, commit);
  return 'conflicts' in m ? m.conflicts : [];
}

function commitTree(dir: string, tree: string, parents: string[], message: string, author?: string): string {
  const env: Record<string, string> = {};
  if (author) {
    const [name, email, date] = git(dir, ['log', '-1', '--format=%an%x00%ae%x00%aD', author]).split('\0');
    Object.assign(env, { GIT_AUTHOR_NAME: name!, GIT_AUTHOR_EMAIL: email!, GIT_AUTHOR_DATE: date! });
  }
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('git', ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])], { cwd: dir, input: message, encoding: 'utf8', env: gitEnv({ ...ownRepositoryOnly(dir), ...env }) });
  if (r.status !== 0) throw new InfraError(`git commit-tree failed: ${String(r.stderr).trim()}`);
  return String(r.stdout).trim();
}

const messageOf = (dir: string, commit: string): string => git(dir, ['log', '-1', '--format=%B', commit]);

/**
 * Applies a change (base..commit) on `onto` the way the rig lands work, and returns the new commit:
 * - rebase: each commit of the change replayed on `onto` (a cherry-pick done in memory: merging a commit whose
 *   parent is the original's with the original makes git take the original's parent as the base), or the commit
 *   itself when `onto` is already its ancestor;
 * - merge: a merge commit of `onto` and the commit;
 * - squash: one commit with the change, authored as the change's last commit.
 */
export function applyChange(dir: string, style: MergeStyle, onto: string, commit: string, title: string): string {
  if (isAncestor(dir, commit, onto)) return onto; // already on the target: nothing to land
  const whole = mergeTrees(dir, onto, commit);
  if ('conflicts' in whole) throw new ConflictError(`conflicts with the target in ${whole.conflicts.join(', ') || 'the history'}`, whole.conflicts);
  if (style === 'merge') return commitTree(dir, whole.tree, [onto, commit], `${title}\n`);
  if (style === 'squash') return commitTree(dir, whole.tree, [onto], `${title}\n\n${messageOf(dir, commit)}`, commit);
  if (isAncestor(dir, onto, commit)) return commit;
  const base = git(dir, ['merge-base', onto, commit]);
  let tip = onto;
  for (const c of git(dir, ['rev-list', '--reverse', '--no-merges', `${base}..${commit}`]).split('\n').filter(Boolean)) {
    const parent = git(dir, ['rev-parse', `${c}^`]);
    // a commit with tip's tree and c's parent: merging it with c has c's parent as its base
    const stand = commitTree(dir, treeOf(dir, tip), [parent], 'refinery: cherry-pick base\n');
    const m = mergeTrees(dir, stand, c);
    if ('conflicts' in m) throw new ConflictError(`${c.slice(0, 12)} conflicts with the target in ${m.conflicts.join(', ')}`, m.conflicts);
    tip = m.tree === treeOf(dir, tip) ? tip : commitTree(dir, m.tree, [tip], messageOf(dir, c), c);
  }
  return tip;
}

/**
 * Pushes `commit` as the remote's `branch`, built on `expected` (the branch's tip when the candidate was
 * built), only if the branch is still at `expected`: when anyone moved it meanwhile (forward or back), git
 * refuses, and this returns what git said.
 */
export function pushIfAt(dir: string, remote: string, branch: string, commit: string, expected: string): true | string {
  if (!isAncestor(dir, expected, commit)) throw new InfraError(`refusing to push ${commit.slice(0, 12)}: it does not descend from ${branch}'s ${expected.slice(0, 12)}`);
  // A plain push is refused only when it is not a fast-forward of what the remote has *now*: a target rewound
  // meanwhile (a person took a commit out) would take the candidate, and what was taken out would come back.
  // The lease makes it a compare-and-set against the base the candidate was gated on; since the candidate
  // descends from that base, what is accepted is always a fast-forward (never a forced update).
  const r = run(dir, ['push', '--porcelain', `--force-with-lease=refs/heads/${branch}:${expected}`, remote, `${commit}:refs/heads/${branch}`]);
  if (r.status === 0) return true;
  const said = `${r.stdout}\n${r.stderr}`;
  if (/rejected|non-fast-forward|fetch first|stale info/.test(said)) return said.trim().split('\n').filter((l) => !/^(To |Done$)/.test(l)).slice(-4).join(' ');
  throw new InfraError(`git push to ${remote} failed: ${lastLines(said)}`);
}

/** Pushes a commit to a branch of the remote's that is the refinery's own (a pull request's head). */
export function pushOwnBranch(dir: string, remote: string, branch: string, commit: string): void {
  git(dir, ['push', '--quiet', '--force', remote, `${commit}:refs/heads/${branch}`]);
}

/**
 * Deletes a branch on the remote if it is at `expected` (a compare-and-set: git refuses when it moved
 * meanwhile). True when it is gone (deleted now or before); false when it points elsewhere and is kept.
 */
export function deleteRemoteBranch(dir: string, remote: string, branch: string, expected: string): boolean {
  const tip = remoteTip(dir, remote, branch);
  if (tip === null) return true;
  if (tip !== expected) return false;
  const r = run(dir, ['push', '--quiet', '--porcelain', `--force-with-lease=refs/heads/${branch}:${expected}`, remote, `:refs/heads/${branch}`]);
  if (r.status === 0) return true;
  if (/stale info|rejected/.test(`${r.stdout}${r.stderr}`)) return false;
  throw new InfraError(`git push ${remote} :${branch} failed: ${lastLines(r.stderr || r.stdout)}`);
}
