// The git side effect, one function per verb, through simple-git. Only `bd sync` uses it, so the CLI loads
// it on demand.
import { simpleGit, type SimpleGit } from 'simple-git';

export interface Git {
  root: string;
  raw: SimpleGit;
}

export async function openRepo(dir: string): Promise<Git> {
  const raw = simpleGit({ baseDir: dir });
  const root = (await raw.revparse(['--show-toplevel'])).trim();
  return { root, raw: simpleGit({ baseDir: root }) };
}

/** The checked-out branch (also on a branch with no commit yet), or 'HEAD' when detached. */
export async function currentBranch(git: Git): Promise<string> {
  return (await git.raw.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => 'HEAD')).trim() || 'HEAD';
}

/** The remote the branch tracks, else `origin` when it exists, else the only remote, else null. */
export async function remoteFor(git: Git, branch: string): Promise<string | null> {
  const configured = (await git.raw.raw(['config', '--get', `branch.${branch}.remote`]).catch(() => '')).trim();
  if (configured) return configured;
  const remotes = (await git.raw.getRemotes()).map((r) => r.name);
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
  const changed = (await git.raw.raw(['diff', '--cached', '--name-only', 'HEAD', '--', ...paths]).catch(() => 'unborn')).trim();
  if (!changed) return false;
  await git.raw.raw(['commit', '--quiet', '--no-verify', '-m', message, '--only', '--', ...paths]);
  return true;
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

/** Paths with unresolved conflicts, and whether a merge is in progress. */
export async function inProgress(git: Git): Promise<{ merging: boolean; unmerged: string[] }> {
  const unmerged = (await git.raw.raw(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
  const merging = (await git.raw.raw(['rev-parse', '-q', '--verify', 'MERGE_HEAD']).catch(() => '')).trim() !== '';
  return { merging, unmerged };
}

export async function hasCommits(git: Git): Promise<boolean> {
  return (await git.raw.raw(['rev-parse', '-q', '--verify', 'HEAD']).catch(() => '')).trim() !== '';
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
