// The git side effect, one function per verb. Only `bd sync` uses it, so the CLI loads it on demand. The
// verbs that talk to the remote or read objects are asynchronous (simple-git); the ones that change the work
// tree, the index and HEAD are synchronous, because sync runs them holding the store's lock: nothing else in
// the process may run in between (a writer in the same process would wait for the lock with the event loop
// blocked, and the git call it waits behind could never finish).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
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
  gitEnv();
  return simpleGit({ baseDir, allowEnvironment: Object.keys(process.env) });
}

function gitEnv(): void {
  if (process.env.GIT_TERMINAL_PROMPT === undefined && !process.stdin.isTTY) process.env.GIT_TERMINAL_PROMPT = '0';
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

/**
 * The remote the branch tracks, else `origin` when it exists, else the only remote, else null; and the branch
 * there: the one it tracks (branch.<b>.merge, which may have another name: main tracking origin/trunk), else
 * the same name. One call.
 */
export async function remoteFor(git: Git, branch: string): Promise<{ remote: string; branch: string } | null> {
  const lines = (await git.raw.raw(['config', '--get-regexp', '^(branch\\..*\\.(remote|merge)|remote\\..*\\.url)$']).catch(() => '')).split('\n').filter(Boolean);
  const value = (key: string): string | undefined => {
    const line = lines.find((l) => l.startsWith(`${key} `));
    return line?.slice(line.indexOf(' ') + 1).trim();
  };
  const configured = value(`branch.${branch}.remote`);
  if (configured && configured !== '.') {
    const merge = value(`branch.${branch}.merge`);
    return { remote: configured, branch: merge?.startsWith('refs/heads/') ? merge.slice('refs/heads/'.length) : branch };
  }
  const remotes = lines.filter((l) => l.startsWith('remote.') && l.includes('.url ')).map((l) => l.slice('remote.'.length, l.indexOf('.url ')));
  const remote = remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0]! : null;
  return remote ? { remote, branch } : null;
}

export async function fetch(git: Git, remote: string, branch: string): Promise<boolean> {
  try {
    // The fetched pack is kept as it came (indexed) rather than unpacked into one compressed file per object:
    // a sync that brings segments of a few hundred KB each saves recompressing every one of them.
    await git.raw.raw(['-c', 'fetch.unpackLimit=1', 'fetch', remote, branch]);
    return true;
  } catch (err) {
    if (/couldn't find remote ref|could not find remote ref/i.test(String((err as Error).message))) return false;
    throw err;
  }
}


/** Whether two revisions name the same commit. */
export async function sameCommit(git: Git, a: string, b: string): Promise<boolean> {
  const out = (await git.raw.raw(['rev-parse', '-q', '--verify', `${a}^{commit}`, `${b}^{commit}`]).catch(() => '')).trim().split('\n');
  return out.length === 2 && out[0] === out[1] && out[0] !== '';
}

/** Pushes HEAD to the branch; a refusal is thrown with git's whole answer (the remote's own lines included). */
export async function push(git: Git, remote: string, branch: string): Promise<void> {
  // not simple-git: its error keeps only part of what the remote said, and a hook's reason is in that part
  gitEnv();
  const r = await new Promise<{ status: number | null; out: string }>((resolve, reject) => {
    const child = spawn('git', ['push', '--porcelain', remote, `HEAD:refs/heads/${branch}`], { cwd: git.root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out }));
  });
  if (r.status !== 0) throw new PushRefused(r.out.trim());
}

/** A push git did not complete: refused by the remote (a race, a hook, a rule) or never reaching it. */
export class PushRefused extends Error {
  /** Refused because the remote branch moved (another clone pushed first), not by a hook or a rule. */
  readonly raced: boolean;
  constructor(readonly output: string) {
    super(output);
    // porcelain: "!\t<src>:<dst>\t[rejected] (fetch first)" when the branch moved; a hook's refusal is
    // "[remote rejected] (pre-receive hook declined)"; two pushes landing at once on the server leave one with
    // "[remote rejected] (failed to update ref)" and "cannot lock ref ...: is at X but expected Y", a race too.
    this.raced =
      /\[rejected\] \((fetch first|non-fast-forward|stale info)\)/.test(output) ||
      (/\[remote rejected\] \((failed to update ref|failed to lock)\)/.test(output) && /cannot lock ref|but expected|incorrect old value/i.test(output));
  }
  /** What the remote said (its `remote:` lines). */
  get remoteSaid(): string[] {
    return this.output.split('\n').filter((l) => l.startsWith('remote:')).map((l) => l.slice('remote:'.length).trim()).filter(Boolean);
  }
  /** The reason git gives on the refused ref's line, e.g. "pre-receive hook declined"; none when it never got there. */
  get reason(): string | undefined {
    return /\[(?:remote )?rejected\] \(([^)]*)\)/.exec(this.output)?.[1];
  }
}

/** What is in progress in the work tree that a sync must not run into (read from git's files, not asked). */
export function operationInProgress(git: Git): 'merge' | 'rebase' | 'cherry-pick' | 'revert' | null {
  const has = (name: string): boolean => existsSync(join(git.gitDir, name));
  if (has('rebase-merge') || has('rebase-apply')) return 'rebase';
  if (has('MERGE_HEAD')) return 'merge';
  if (has('CHERRY_PICK_HEAD')) return 'cherry-pick';
  if (has('REVERT_HEAD')) return 'revert';
  return null;
}

/** Paths with unresolved conflicts. */
export async function unmergedPaths(git: Git): Promise<string[]> {
  return (await git.raw.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => '')).split('\n').filter(Boolean);
}

// ---- synchronous verbs, for the part of a sync under the store's lock -------------------------------------

export class GitFailed extends Error {
  constructor(
    readonly args: string[],
    readonly status: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`git ${args[0]}: ${(stderr || stdout).trim() || `exit ${status}`}`);
  }
}

function spawnGit(cwd: string, args: string[], config: string[] = [], extra: { env?: Record<string, string>; input?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  gitEnv();
  const r = spawnSync('git', [...config.flatMap((c) => ['-c', c]), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...extra.env }, input: extra.input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function gitSync(git: Git, args: string[]): string {
  const r = spawnGit(git.root, args);
  if (r.status !== 0) throw new GitFailed(args, r.status, r.stdout, r.stderr);
  return r.stdout;
}

/**
 * Stages and commits exactly these paths (whatever else is staged stays staged); false when they hold no change.
 * Named one by one, they are added even where a .gitignore pattern (a user's `*.jsonl`) would ignore them.
 */
export function commitPathsSync(git: Git, paths: string[], message: string): boolean {
  gitSync(git, ['add', '--force', '--', ...paths]);
  try {
    gitSync(git, ['commit', '--quiet', '--no-verify', '-m', message, '--only', '--', ...paths]);
    return true;
  } catch (err) {
    if (err instanceof GitFailed && /nothing to commit|no changes added|nothing added/i.test(err.stdout + err.stderr)) return false;
    throw err;
  }
}

/** The commit a revision names, or null (an unborn branch's HEAD). */
export function revParseSync(git: Git, rev: string): string | null {
  const r = spawnGit(git.root, ['rev-parse', '-q', '--verify', `${rev}^{commit}`]);
  return r.status === 0 ? r.stdout.trim() : null;
}

export function isAncestorSync(git: Git, ancestor: string, of: string): boolean {
  const r = spawnGit(git.root, ['merge-base', '--is-ancestor', ancestor, of]);
  if (r.status === 0) return true;
  if (r.status === 1) return false;
  throw new GitFailed(['merge-base'], r.status, r.stdout, r.stderr);
}

/** On a conflict, `conflicted` is the tree merge-tree wrote anyway (what it could merge, the rest as it left it). */
export type TreeMerge = { tree: string; conflicts: string[]; unrelated?: false } | { tree: null; conflicts: string[]; unrelated: boolean; conflicted?: string };

/**
 * Merges two commits into a tree without touching the work tree or the index (merge-ort, with the work
 * tree's attributes). Conflicted paths are listed, not written anywhere. `unionPaths` (repository-relative)
 * merge as a union even where no .gitattributes says so (a clone made before the line was committed, a store
 * in a subdirectory whose .gitattributes was never committed): they are given through a private attributes
 * file, which the repository's own .gitattributes still overrides, holding the user's own attributes too.
 */
export function mergeTreeSync(git: Git, ours: string, theirs: string, unionPaths: string[] = [], allowUnrelated = false): TreeMerge {
  const dir = mkdtempSync(join(tmpdir(), 'bd-merge-'));
  try {
    const own = userAttributesFile(git);
    const lines = unionPaths.map((p) => `"/${p.replace(/["\\]/g, '\\$&')}" merge=union`);
    writeFileSync(join(dir, 'attributes'), `${own && existsSync(own) ? readFileSync(own, 'utf8').replace(/\n?$/, '\n') : ''}${lines.join('\n')}\n`);
    const r = spawnGit(git.root, ['merge-tree', '--write-tree', '--name-only', '--no-messages', ...(allowUnrelated ? ['--allow-unrelated-histories'] : []), ours, theirs], [`core.attributesFile=${join(dir, 'attributes')}`]);
    if (r.status === 0) return { tree: r.stdout.split('\n')[0]!.trim(), conflicts: [] };
    if (r.status === 1) return { tree: null, conflicts: [...new Set(r.stdout.split('\n').slice(1).filter(Boolean))], unrelated: false, conflicted: r.stdout.split('\n')[0]!.trim() };
    if (/unrelated histories/i.test(r.stderr)) return { tree: null, conflicts: [], unrelated: true };
    throw new GitFailed(['merge-tree'], r.status, r.stdout, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The user's global attributes file: core.attributesFile, else git's default place for it. */
function userAttributesFile(git: Git): string | null {
  const r = spawnGit(git.root, ['config', '--path', 'core.attributesFile']);
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  const xdg = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(xdg, 'git', 'attributes');
}

/** Whether a commit has no parent and holds nothing but these paths. */
export function rootWithOnlySync(git: Git, commit: string, paths: string[]): boolean {
  if (gitSync(git, ['rev-list', '--parents', '-n', '1', commit]).trim().split(' ').length !== 1) return false;
  return gitSync(git, ['ls-tree', '-r', '--name-only', '-z', commit]).split('\0').filter(Boolean).every((p) => paths.includes(p));
}

/** The blobs under `dir` (relative to the repository's top) at a revision, by path; empty when there is none. */
export function blobsSync(git: Git, rev: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const r = spawnGit(git.root, ['ls-tree', '-r', '-z', '--full-tree', rev, '--', dir]);
  if (r.status !== 0) return out; // no such revision (an unborn branch)
  for (const entry of r.stdout.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [, type, blob] = entry.slice(0, tab).split(' ');
    if (type === 'blob') out.set(entry.slice(tab + 1), blob!);
  }
  return out;
}

/** Paths under `dir` whose work-tree file differs from HEAD's, untracked ones included. */
export function changedPathsSync(git: Git, dir: string): string[] {
  const r = spawnGit(git.root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', dir]);
  if (r.status !== 0) throw new GitFailed(['status'], r.status, r.stdout, r.stderr);
  return r.stdout.split('\0').filter(Boolean).map((e) => e.slice(3));
}

/** The texts of several `rev:path` objects in one git call; a missing one is null. Synchronous. */
export function showManySync(git: Git, specs: string[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  if (!specs.length) return out;
  gitEnv();
  const r = spawnSync('git', ['cat-file', '--batch'], { cwd: git.root, env: process.env, input: specs.join('\n') + '\n', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new GitFailed(['cat-file'], r.status, String(r.stdout), String(r.stderr));
  const buf = r.stdout as Buffer;
  let at = 0;
  for (const spec of specs) {
    const nl = buf.indexOf(10, at);
    const header = buf.toString('utf8', at, nl);
    at = nl + 1;
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      out.set(spec, null);
      continue;
    }
    const size = Number(header.slice(header.lastIndexOf(' ') + 1));
    out.set(spec, buf.toString('utf8', at, at + size));
    at += size + 1; // the content, then a newline
  }
  return out;
}

/** A file's text at a revision, or null when it is not there. Synchronous. */
export function showSync(git: Git, rev: string, path: string): string | null {
  const r = spawnGit(git.root, ['cat-file', 'blob', `${rev}:${path}`]);
  return r.status === 0 ? r.stdout : null;
}

/** The tree of `rev` with one file's content replaced by `text` (built in a private index; nothing else moves). */
export function treeWithFileSync(git: Git, rev: string, path: string, text: string): string {
  const blob = gitSyncWith(git, ['hash-object', '-w', '--stdin'], { input: text }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'bd-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    gitSyncWith(git, ['read-tree', rev], { env });
    gitSyncWith(git, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
    return gitSyncWith(git, ['write-tree'], { env }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function gitSyncWith(git: Git, args: string[], extra: { env?: Record<string, string>; input?: string }): string {
  const r = spawnGit(git.root, args, [], extra);
  if (r.status !== 0) throw new GitFailed(args, r.status, r.stdout, r.stderr);
  return r.stdout;
}

export function commitTreeSync(git: Git, tree: string, parents: string[], message: string): string {
  return gitSync(git, ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message]).trim();
}

/**
 * Moves the index and work tree from commit `from` to commit `to` as a checkout does (a two-tree read-tree):
 * the user's staged and unstaged changes to paths the move does not touch stay as they are. When a changed,
 * staged or untracked path would be overwritten, nothing is changed and those paths are returned.
 */
export function moveWorkTreeSync(git: Git, from: string, to: string): string[] {
  const r = spawnGit(git.root, ['read-tree', '-m', '-u', from, to]);
  if (r.status === 0) return [];
  const named = [...`${r.stderr}${r.stdout}`.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  if (!named.length) throw new GitFailed(['read-tree'], r.status, r.stdout, r.stderr);
  // read-tree stops at the first such path: name them all, so one fix is enough (the paths the move changes
  // that hold uncommitted changes, staged or not, or that are untracked here)
  const list = (args: string[]): string[] => {
    const out = spawnGit(git.root, args);
    return out.status === 0 ? out.stdout.split('\0').filter(Boolean) : [];
  };
  const moved = new Set(list(['diff', '--name-only', '-z', '--no-renames', from, to]));
  const local = [...list(['diff', '--name-only', '-z', '--no-renames', from]), ...list(['ls-files', '-z', '--others', '--exclude-standard'])];
  return [...new Set([...named, ...local.filter((p) => moved.has(p))])];
}

/** Points HEAD's branch at `to`, only if it still is at `from`. */
export function updateHeadSync(git: Git, to: string, from: string, message: string): void {
  gitSync(git, ['update-ref', '-m', message, 'HEAD', to, from]);
}
