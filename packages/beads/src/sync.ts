// `bd sync`: exchanges the store's operations with the git remote. Under the store's lock (no writer appends
// meanwhile), it commits only the store's files (never anything else, never what the user staged) and merges
// the remote branch on trees, then moves the work tree as a checkout does (the log merges as a union, so it
// cannot conflict; a conflict elsewhere changes nothing). It pushes outside the lock and tries again when
// another clone pushed in between. It reports what came in and went out, and the claims this clone held that
// another clone's earlier claim beat. One sync at a time per clone.
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BeadsError, gitFailure } from './errors.js';
import { acquireLock, withLock } from './lock.js';
import { appendLines, endsWithNewline, parseOpLine } from './log.js';
import { QUARANTINE_FILE } from './quarantine.js';
import { CONFIG_FILE, LOG_FILE, type BeadStore } from './store.js';
import { SEGMENTS_DIR, isSegmentName } from './log-files.js';
import type { HotIndex } from './hot-index.js';
import type { Op } from './types.js';
import * as git from './git.js';

export interface SyncCounts {
  operations: number;
  beads: number;
}

export interface SyncResult {
  remote: string;
  branch: string;
  dry_run: boolean;
  /** Operations this clone had that the remote did not. */
  out: SyncCounts;
  /** Operations the remote had that this clone did not. */
  in: SyncCounts;
  committed: boolean;
  pushed: boolean;
  /** Pushes refused because another clone pushed first, each followed by another merge. */
  retries: number;
  /** Claims made here that another clone's earlier claim beat. */
  lost_claims: { id: string; title: string; holder: string; lost_by: string }[];
}

export interface SyncOptions {
  dryRun?: boolean;
  maxRetries?: number;
  message?: string;
}

/** What sync needs of an operation: its id, its bead and its kind. */
type Seen = Pick<Op, 'op_id' | 'bead' | 'kind'>;

// How our writer starts every line; such a line is read without parsing the rest of it.
const HEAD = /^\{"op_id":"([^"\\]+)","bead":"([^"\\]+)",(?:"origin":"[^"\\]*",)?"kind":"([^"\\]+)"/;

/**
 * The operations of a log's text by id. A line our writer wrote is read by its start; any other line is parsed.
 * A torn or corrupt line is the log's business (bd doctor), not the count's.
 */
function opsById(text: string | null): Map<string, Seen> {
  const out = new Map<string, Seen>();
  if (!text) return out;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\uFEFF/, '');
    if (!line) continue;
    const m = HEAD.exec(line);
    if (m) {
      out.set(m[1]!, { op_id: m[1]!, bead: m[2]!, kind: m[3]! as Op['kind'] });
      continue;
    }
    try {
      const op = JSON.parse(line) as Op;
      if (typeof op.op_id === 'string' && typeof op.bead === 'string' && typeof op.kind === 'string') out.set(op.op_id, { op_id: op.op_id, bead: op.bead, kind: op.kind });
    } catch {
      /* see above */
    }
  }
  return out;
}

/** The operations of `from` that `other` does not have. */
const missingFrom = (from: Map<string, Seen>, other: Map<string, Seen>): Seen[] => [...from.values()].filter((o) => !other.has(o.op_id));

const counts = (ops: Seen[]): SyncCounts => ({ operations: ops.length, beads: new Set(ops.map((o) => o.bead)).size });

export async function syncStore(store: BeadStore, options: SyncOptions = {}): Promise<SyncResult> {
  const repo = await git.openRepo(store.dir).catch((err: unknown) => {
    throw new BeadsError('sync_failed', `${store.dir} is not inside a git repository: bd sync exchanges the store through git (${String((err as Error).message).split('\n')[0]})`);
  });
  const rel = (p: string): string => relative(repo.root, p);
  const beadsRel = rel(store.dir);
  // The log's files by path in the repository (a segmented store's files under log/ and ops.jsonl if any).
  const segmentsRel = `${rel(join(store.dir, SEGMENTS_DIR))}/`;
  // exactly the files the log is read from: a stray log/notes.jsonl is neither counted nor committed
  const isLogPath = (p: string): boolean => p === rel(join(store.dir, LOG_FILE)) || (p.startsWith(segmentsRel) && isSegmentName(p.slice(segmentsRel.length)));
  const logPaths = (): string[] => store.logFiles().map((n) => rel(join(store.dir, n)));
  // The files that only ever grow by appended lines, merged as a union even where .gitattributes does not say so.
  const unionPaths = [rel(join(store.dir, LOG_FILE)), `${segmentsRel}*.jsonl`, rel(join(store.dir, QUARANTINE_FILE))];
  const storePaths = (): string[] => [...logPaths(), ...[join(store.dir, QUARANTINE_FILE), join(store.dir, CONFIG_FILE), join(store.dir, '.gitignore'), join(dirname(store.dir), '.gitattributes')].filter(existsSync).map(rel)];
  const logBlobs = (rev: string): Map<string, string> => new Map([...git.blobsSync(repo, rev, beadsRel)].filter(([p]) => isLogPath(p)));
  const release = acquireLock(join(store.dir, 'lock.sync'), { timeoutMs: 300_000, what: 'bd sync in this clone' });
  try {
    await refuseOperationInProgress(repo);
    const localBranch = git.currentBranch(repo);
    if (localBranch === 'HEAD') throw new BeadsError('sync_failed', `${repo.root} is on a detached HEAD: check out a branch to sync`);
    const upstream = await git.remoteFor(repo, localBranch);
    if (!upstream) throw new BeadsError('no_remote', `no git remote to sync with in ${repo.root}: add one (git remote add origin <url>), then bd sync`);
    const { remote, branch } = upstream; // the branch there, which the local one may track under another name
    const maxRetries = options.maxRetries ?? 10;
    const remoteRev = `${remote}/${branch}`;
    let outgoing: Seen[] = [];
    const incoming = new Map<string, Seen>();
    // Holders, before the merge, of beads that incoming operations claim: a change of holder is a lost claim.
    const holdersBefore = new Map<string, string>();
    let committed = false;
    for (let attempt = 0; ; attempt++) {
      const fetched = await git.fetch(repo, remote, branch).catch((err: unknown) => {
        throw gitFailure(err, `fetching ${remote}`);
      });
      // Only files whose blob differs between the two sides can hold operations one side lacks: sealed
      // segments are the same blob on both, and are never read.
      const remoteBlobs = fetched ? logBlobs(remoteRev) : new Map<string, string>();
      const remoteText = new Map<string, string | null>();
      const remoteOps = (paths: Iterable<string>): Map<string, Seen> => {
        const wanted = [...paths].filter((p) => remoteBlobs.has(p));
        const read = git.showManySync(repo, wanted.filter((p) => !remoteText.has(p)).map((p) => remoteBlobs.get(p)!));
        for (const p of wanted) if (!remoteText.has(p)) remoteText.set(p, read.get(remoteBlobs.get(p)!) ?? null);
        const out = new Map<string, Seen>();
        for (const p of wanted) for (const [id, o] of opsById(remoteText.get(p)!)) out.set(id, o);
        return out;
      };
      const headBlobs = logBlobs('HEAD');
      const theirs = remoteOps(differing(headBlobs, remoteBlobs));
      // Holders are read before the store's lock is taken (reading the cache may take that lock itself). Only a
      // bead this clone holds (so it is in the hot index) can lose its claim.
      const claimed = new Set([...theirs.values()].filter((o) => o.kind === 'claim').map((o) => o.bead));
      // Read whole here, through the store's fallback, not lazily under the lock: a cache that fails midway
      // (deleted, truncated) is rebuilt or folded in memory rather than failing the sync.
      const holdersNow = claimed.size ? store.read((view) => holdersIn(view.hotIndex(), claimed), { allowCorrupt: true }) : new Map<string, string>();
      const noteHolders = (incomingNow: Seen[]): void => {
        for (const o of incomingNow) {
          if (o.kind !== 'claim' || holdersBefore.has(o.bead)) continue;
          const holder = holdersNow.get(o.bead);
          if (holder) holdersBefore.set(o.bead, holder);
        }
      };
      if (options.dryRun) {
        const paths = new Set([...differing(headBlobs, remoteBlobs), ...git.changedPathsSync(repo, beadsRel).filter(isLogPath)]);
        // a log file deleted from the work tree is what the sync restores: HEAD's
        const local = localOps(repo.root, paths, (p) => (headBlobs.has(p) ? git.showSync(repo, 'HEAD', p) : null)).ops;
        const there = remoteOps(paths);
        outgoing = missingFrom(local, there);
        return { remote, branch, dry_run: true, out: counts(outgoing), in: counts(missingFrom(there, local)), committed: false, pushed: false, retries: 0, lost_claims: [] };
      }
      // Commit and merge hold the store's lock, synchronously: no writer appends to the log while git reads or
      // rewrites it, and the log git commits is the one the work tree holds (torn tails repaired first).
      const step = lockedStep(() => withLock(store.lockPath, () => {
        // A log file committed and then deleted from the work tree (by hand) is restored: the log only grows, and
        // a clone without it would end a sync lacking what the remote has.
        for (const p of headBlobs.keys()) restoreDeleted(repo, p);
        // a file that ends with its newline needs no repair: opening (and fsyncing) every segment cost each sync one per file
        for (const p of logPaths()) if (!endsWithNewline(join(repo.root, p))) appendLines(join(repo.root, p), []);
        const didCommit = git.commitPathsSync(repo, storePaths(), options.message ?? 'bd sync');
        // After the commit HEAD holds the work tree's log: what differs from the remote is what moves.
        const committedBlobs = logBlobs('HEAD');
        const paths = differing(committedBlobs, remoteBlobs);
        const { ops: local, texts } = localOps(repo.root, paths);
        const there = remoteOps(paths);
        const fresh = missingFrom(there, local);
        noteHolders(fresh);
        if (fetched) mergeRemote(repo, remoteRev, storePaths(), unionPaths, texts, committedBlobs, logBlobs, isLogPath);
        return { out: missingFrom(local, there), fresh, didCommit };
      }));
      outgoing = step.out;
      for (const o of step.fresh) incoming.set(o.op_id, o);
      committed = step.didCommit || committed;
      try {
        // Nothing of ours to publish when the branch is exactly what the remote has.
        const upToDate = fetched && (await git.sameCommit(repo, 'HEAD', remoteRev));
        if (!upToDate) await git.push(repo, remote, branch);
        const lost = lostClaims(store, holdersBefore);
        return { remote, branch, dry_run: false, out: counts(outgoing), in: counts([...incoming.values()]), committed, pushed: !upToDate, retries: attempt, lost_claims: lost };
      } catch (err) {
        if (!(err instanceof git.PushRefused)) throw err;
        if (err.raced && attempt < maxRetries) continue;
        throw pushFailure(err, remote, branch, attempt);
      }
    }
  } finally {
    release();
  }
}

/** Paths whose blob differs between two listings (present in one only included). */
function differing(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, blob] of a) if (b.get(p) !== blob) out.push(p);
  for (const p of b.keys()) if (!a.has(p)) out.push(p);
  return out;
}

/** Writes HEAD's text of a log file the work tree lacks (not a file under another name's way: that is left). */
function restoreDeleted(repo: git.Git, p: string): void {
  const path = join(repo.root, p);
  if (existsSync(path) || lstatOrNull(path)) return;
  const text = git.showSync(repo, 'HEAD', p);
  if (text === null) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function lstatOrNull(path: string): unknown {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** The operations of the work tree's files at these paths (`missing` gives the text of one not there), and their texts. */
function localOps(root: string, paths: Iterable<string>, missing: (p: string) => string | null = () => null): { ops: Map<string, Seen>; texts: Map<string, string> } {
  const ops = new Map<string, Seen>();
  const texts = new Map<string, string>();
  for (const p of paths) {
    const text = readLog(join(root, p)) ?? missing(p);
    if (text === null) continue;
    texts.set(p, text);
    for (const [id, o] of opsById(text)) ops.set(id, o);
  }
  return { ops, texts };
}

/** git failing under the lock (not a conflict or a refusal, which say so themselves) is a failed sync. */
function lockedStep<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof git.GitFailed) {
      // A git killed outright (SIGKILL to a sync's process group, the OOM killer) leaves its index.lock behind,
      // and every later sync would stop here: say which file, and when it is safe to remove it.
      const lock = /Unable to create '([^']+\.lock)': File exists/.exec(err.stderr)?.[1];
      if (lock) throw new BeadsError('sync_failed', `git ${err.args[0]}: ${lock} exists: another git command is running in this repository, or one was killed and left it behind; if no git is running, remove it (rm '${lock}'), then bd sync; nothing was changed`, { lock });
      throw gitFailure(new Error(`${err.stderr}${err.stdout}`), `git ${err.args[0]}`);
    }
    throw err;
  }
}

function readLog(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** A sync does not start in the middle of the user's merge, rebase, cherry-pick or revert. */
async function refuseOperationInProgress(repo: git.Git): Promise<void> {
  const doing = git.operationInProgress(repo);
  if (!doing) return;
  if (doing === 'merge') {
    const unmerged = await git.unmergedPaths(repo);
    throw new BeadsError('sync_failed', `a merge is in progress in ${repo.root}${unmerged.length ? ` with conflicts in ${unmerged.join(', ')}` : ''}: finish it (or git merge --abort), then bd sync`);
  }
  throw new BeadsError('sync_failed', `a ${doing} is in progress in ${repo.root}: finish it (git ${doing} --continue) or abort it (git ${doing} --abort), then bd sync`);
}

/**
 * Brings the remote branch into HEAD without a merge in the work tree: the merge is computed on trees
 * (git merge-tree), then the work tree and index move from HEAD to the result as a checkout does, and HEAD
 * follows. So a conflict anywhere leaves nothing half-done (no MERGE_HEAD, no conflict markers), and the
 * user's staged and unstaged changes to other files stay exactly as they were, never stashed. An operation of
 * the local log that the result lacks (a commit elsewhere removed its line: a hand edit, a merge resolved by
 * hand) is put back: the log only grows, and an acknowledged write is never lost. Synchronous.
 */
function mergeRemote(repo: git.Git, rev: string, storePaths: string[], unionPaths: string[], localLogs: Map<string, string>, localBlobs: Map<string, string>, blobsOf: (tree: string) => Map<string, string>, isLogPath: (p: string) => boolean): 'up-to-date' | 'fast-forward' | 'merged' {
  const head = git.revParseSync(repo, 'HEAD');
  const theirs = git.revParseSync(repo, rev);
  if (!theirs || (head && git.isAncestorSync(repo, theirs, head))) return 'up-to-date';
  let tree = `${theirs}^{tree}`;
  let how: 'fast-forward' | 'merged' = 'fast-forward';
  if (!head || !git.isAncestorSync(repo, head, theirs)) {
    let merged = head ? git.mergeTreeSync(repo, head, theirs, unionPaths) : { tree: null, conflicts: [], unrelated: true };
    // A branch that had no commit before a sync (git init, bd init, git remote add) holds only the store's first
    // commit: it joins the remote's history, the log merging as a union, instead of being refused as unrelated.
    if (merged.unrelated && head && git.rootWithOnlySync(repo, head, storePaths)) merged = git.mergeTreeSync(repo, head, theirs, unionPaths, true);
    if (merged.unrelated) {
      throw new BeadsError('sync_failed', `${rev} has a history unrelated to this branch's: if it is the same project, merge it by hand (git pull --allow-unrelated-histories), then bd sync; otherwise point the remote elsewhere`);
    }
    // A log file deleted on one side and written on the other (a segment someone removed by hand while its
    // clone kept writing) is the one conflict a log can have: it is kept, holding every operation of both sides.
    if (merged.tree === null && merged.conflicted && merged.conflicts.length && merged.conflicts.every(isLogPath)) {
      let resolved = merged.conflicted;
      for (const p of merged.conflicts) resolved = git.treeWithFileSync(repo, resolved, p, unionOfLogs(git.showSync(repo, head!, p), git.showSync(repo, theirs, p)));
      merged = { tree: resolved, conflicts: [] };
    }
    if (!merged.tree) {
      const others = merged.conflicts.filter((p) => !storePaths.includes(p));
      if (others.length) throw new BeadsError('sync_failed', `merging ${rev} conflicts in files that are not the store's (${others.join(', ')}): merge by hand (git pull), then bd sync; nothing was changed`, { conflicts: others });
      throw new BeadsError('sync_failed', `merging ${rev} conflicts in the store's files (${merged.conflicts.join(', ')}): merge them by hand (git pull), then bd sync; nothing was changed`, { conflicts: merged.conflicts });
    }
    tree = merged.tree;
    how = 'merged';
  }
  // Only a file that differed between the two sides, and that the merge changed, can have lost a line in it.
  let restored = 0;
  const merged = localLogs.size ? blobsOf(tree) : new Map<string, string>();
  for (const [path, localLog] of localLogs) {
    if (merged.get(path) === localBlobs.get(path)) continue;
    const mergedLog = git.showSync(repo, tree, path);
    const lost = removedOps(localLog, mergedLog);
    if (!lost.length) continue;
    restored += lost.length;
    tree = git.treeWithFileSync(repo, tree, path, `${mergedLog ?? ''}${mergedLog && !mergedLog.endsWith('\n') ? '\n' : ''}${lost.join('\n')}\n`);
  }
  const restoring = restored ? `; ${restored} operation(s) it removed from the log put back` : '';
  let target = theirs;
  if (how === 'merged') target = git.commitTreeSync(repo, tree, [head!, theirs], `Merge remote-tracking branch '${rev}'${restoring}`);
  else if (restored) target = git.commitTreeSync(repo, tree, [theirs], `bd sync: ${rev}${restoring}`);
  const blocked = head ? git.moveWorkTreeSync(repo, head, target) : [];
  if (blocked.length) {
    throw new BeadsError('sync_failed', `the changes coming from ${rev} touch files you have changed and not committed (${blocked.join(', ')}): commit them, or set them aside (git stash), then bd sync; nothing was changed`, { files: blocked });
  }
  git.updateHeadSync(repo, target, head!, `bd sync: ${how === 'merged' ? `merge ${rev}` : `fast-forward to ${rev}`}`);
  return how;
}

/** One side's log text, then the other side's operations it lacks. */
function unionOfLogs(ours: string | null, theirs: string | null): string {
  const base = ours ?? '';
  const more = removedOps(theirs, base);
  return `${base}${base && !base.endsWith('\n') ? '\n' : ''}${more.map((l) => `${l}\n`).join('')}`;
}

/** The valid operation lines of `local` whose operation `merged` lacks, in their order (corrupt lines never count). */
function removedOps(local: string | null, merged: string | null): string[] {
  if (!local) return [];
  const kept = opsById(merged);
  const out: string[] = [];
  for (const raw of local.split('\n')) {
    const line = raw.replace(/^\uFEFF/, '').replace(/\r$/, '');
    const id = HEAD.exec(line)?.[1];
    if (id && kept.has(id)) continue;
    const op = parseOpLine(line);
    if (typeof op !== 'string' && !kept.has(op.op_id)) {
      kept.set(op.op_id, op); // a duplicated line is put back once
      out.push(line);
    }
  }
  return out;
}

/** A push the remote refused for a reason other than a race (a hook, a protected branch), or retried out. */
function pushFailure(err: git.PushRefused, remote: string, branch: string, attempt: number): BeadsError {
  if (err.raced) return new BeadsError('sync_failed', `pushing to ${remote}: other clones kept pushing first (${attempt + 1} tries); run bd sync again`);
  if (err.reason) {
    const said = err.remoteSaid;
    return new BeadsError('sync_failed', `the remote refused the push to ${remote} ${branch} (${err.reason})${said.length ? `: ${said.join(' / ')}` : ''}; your commits are kept here, nothing was lost: fix what it asks for, or push through a pull request`, { reason: err.reason, remote_said: said });
  }
  return gitFailure(err, `pushing to ${remote}`);
}

/** The holders of these beads, among those in the hot index. */
function holdersIn(hot: HotIndex, ids: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of ids) {
    const holder = hot.has(id) ? hot.state(id)?.bead.assignee : undefined;
    if (holder) out.set(id, holder);
  }
  return out;
}

/** Beads this clone saw held by one actor before the merge and by another after: that claim was lost. */
function lostClaims(store: BeadStore, holdersBefore: Map<string, string>): { id: string; title: string; holder: string; lost_by: string }[] {
  const out: { id: string; title: string; holder: string; lost_by: string }[] = [];
  for (const [logId, before] of holdersBefore) {
    const state = store.state(logId);
    const holder = state?.bead.assignee;
    if (state && before && holder && holder !== before) out.push({ id: state.bead.id, title: state.bead.title, holder, lost_by: before });
  }
  return out;
}
