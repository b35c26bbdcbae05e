// The git side effect, one function per verb, through simple-git. Only `bd sync` uses it, so the CLI loads
// it on demand.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

export interface Git {
  root: string;
  /** The repository's git directory (for a worktree, its own). */
  gitDir: string;
  raw: SimpleGit;
}

/**
 * git as the user runs it. simple-git strips every ambient GIT_* variable (and a few such as EDITOR) unless
 * told otherwise, which would drop the user's GIT_SSH_COMMAND and GIT_ASKPASS, or an agent's GIT_AUTHOR_NAME;
 * bd acts for the user in the user's own environment, so all of it passes through. Without a terminal to
 * answer a credential prompt, git is told not to ask (so it fails at once instead of waiting for an answer
 * that cannot come), unless the environment already says.
 */
function gitAt(baseDir: string): SimpleGit {
  if (process.env.GIT_TERMINAL_PROMPT === undefined && !process.stdin.isTTY) process.env.GIT_TERMINAL_PROMPT = '0';
  return simpleGit({ baseDir, allowEnvironment: Object.keys(process.env) });
}

export async function openRepo(dir: string): Promise<Git> {
  const [root, gitDir] = (await gitAt(dir).raw(['rev-parse', '--show-toplevel', '--absolute-git-dir'])).trim().split('\n');
  return { root: root!, gitDir: gitDir!, raw: gitAt(root!) };
}

/** The checked-out branch (also on a branch with no commit yet), or 'HEAD' when detached. Read from HEAD. */
export function currentBranch(git: Git): string {
  const head = readFileSync(join(git.gitDir, 'HEAD'), 'utf8').trim();
  return head.startsWith('ref: refs/heads/') ? head.slice('ref: refs/heads/'.length) : 'HEAD';
}

/** The remote the branch tracks, else `origin` when it exists, else the only remote, else null. One call. */
export async function remoteFor(git: Git, branch: string): Promise<string | null> {
  const lines = (await git.raw.raw(['config', '--get-regexp', '^(branch\\..*\\.remote|remote\\..*\\.url)$']).catch(() => '')).split('\n').filter(Boolean);
  const configured = lines.find((l) => l.startsWith(`branch.${branch}.remote `));
  if (configured) return configured.slice(configured.indexOf(' ') + 1).trim();
  const remotes = lines.filter((l) => l.startsWith('remote.')).map((l) => l.slice('remote.'.length, l.indexOf('.url ')));
  if (remotes.includes('origin')) return 'origin';
  return remotes.length === 1 ? remotes[0]! : null;
}

export async function fetch(git: Git, remote: string, branch: string): Promise<boolean> {
  try {
    await git.raw.fetch(remote, branch);
    return true;
  } catch (err) {
    if (/couldn't find remote ref|could not find remote ref/i.test(String((err as Error).message))) return false;
    throw err;
  }
}

/** A file's text at a revision, or null when it is not there. */
export async function show(git: Git, rev: string, path: string): Promise<string | null> {
  try {
    return await git.raw.show([`${rev}:${path}`]);
  } catch {
    return null;
  }
}

export async function add(git: Git, paths: string[]): Promise<void> {
  await git.raw.raw(['add', '--', ...paths]);
}

/** Commits exactly these paths (whatever else is staged stays staged); false when they hold no change. */
export async function commitOnly(git: Git, paths: string[], message: string): Promise<boolean> {
  try {
    await git.raw.raw(['commit', '--quiet', '--no-verify', '-m', message, '--only', '--', ...paths]);
    return true;
  } catch (err) {
    if (/nothing to commit|no changes added|nothing added/i.test(String((err as Error).message))) return false;
    throw err;
  }
}

export async function merge(git: Git, rev: string): Promise<void> {
  await git.raw.raw(['merge', '--no-edit', '--quiet', rev]);
}

export async function abortMerge(git: Git): Promise<void> {
  await git.raw.raw(['merge', '--abort']).catch(() => undefined);
}

export async function push(git: Git, remote: string, branch: string): Promise<void> {
  await git.raw.raw(['push', '--quiet', remote, `HEAD:refs/heads/${branch}`]);
}

/** Whether a merge is in progress, and the paths with unresolved conflicts (asked only then). */
export async function inProgress(git: Git): Promise<{ merging: boolean; unmerged: string[] }> {
  const merging = existsSync(join(git.gitDir, 'MERGE_HEAD'));
  const unmerged = merging ? (await git.raw.raw(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean) : [];
  return { merging, unmerged };
}


/** Staged paths other than these. */
export async function stagedExcept(git: Git, paths: string[]): Promise<string[]> {
  const staged = (await git.raw.raw(['diff', '--cached', '--name-only']).catch(() => '')).split('\n').filter(Boolean);
  return staged.filter((p) => !paths.includes(p));
}

/** Puts staged changes aside (the work tree keeps its changes); restore with unstashStaged. */
export async function stashStaged(git: Git, message: string): Promise<void> {
  await git.raw.raw(['stash', 'push', '--staged', '--quiet', '-m', message]);
}

export async function unstashStaged(git: Git): Promise<void> {
  await git.raw.raw(['stash', 'pop', '--index', '--quiet']);
}

/** Whether two revisions name the same commit. */
export async function sameCommit(git: Git, a: string, b: string): Promise<boolean> {
  const out = (await git.raw.raw(['rev-parse', '-q', '--verify', `${a}^{commit}`, `${b}^{commit}`]).catch(() => '')).trim().split('\n');
  return out.length === 2 && out[0] === out[1] && out[0] !== '';
}
