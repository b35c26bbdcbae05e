// `bd sync`: exchanges the store's operations with the git remote. It commits only the store's files (never
// anything else, never what the user staged), merges the remote branch (the log merges as a union, so it
// cannot conflict), pushes, and tries again when another clone pushed in between. It reports what came in
// and went out, and the claims this clone held that another clone's earlier claim beat. One sync at a time per clone.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BeadsError, gitFailure } from './errors.js';
import { acquireLock } from './lock.js';
import { QUARANTINE_FILE } from './quarantine.js';
import { CONFIG_FILE, LOG_FILE, type BeadStore } from './store.js';
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
  for (const line of text.split('\n')) {
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
  const logRel = rel(store.logPath);
  const paths = [store.logPath, join(store.dir, QUARANTINE_FILE), join(store.dir, CONFIG_FILE), join(store.dir, '.gitignore'), join(repo.root, '.gitattributes')].filter(existsSync).map(rel);
  const release = acquireLock(join(store.dir, 'lock.sync'), { timeoutMs: 300_000 });
  try {
    const state = await git.inProgress(repo);
    if (state.merging || state.unmerged.length) {
      throw new BeadsError('sync_failed', `a merge is in progress in ${repo.root}${state.unmerged.length ? ` with conflicts in ${state.unmerged.join(', ')}` : ''}: finish it (or git merge --abort), then bd sync`);
    }
    const branch = git.currentBranch(repo);
    if (branch === 'HEAD') throw new BeadsError('sync_failed', `${repo.root} is on a detached HEAD: check out a branch to sync`);
    const remote = await git.remoteFor(repo, branch);
    if (!remote) throw new BeadsError('no_remote', `no git remote to sync with in ${repo.root}: add one (git remote add origin <url>), then bd sync`);
    const maxRetries = options.maxRetries ?? 10;
    // Only op ids and a few fields are needed here: not the schema check of every line.
    const mine = (): Map<string, Seen> => opsById(existsSync(store.logPath) ? readFileSync(store.logPath, 'utf8') : null);
    let outgoing: Seen[] = [];
    const incoming = new Map<string, Seen>();
    // Holders, before the merge, of beads that incoming operations claim: a change of holder is a lost claim.
    const holdersBefore = new Map<string, string>();
    let committed = false;
    for (let attempt = 0; ; attempt++) {
      // The local log is read while git fetches.
      const fetching = git.fetch(repo, remote, branch).catch((err: unknown) => {
        throw gitFailure(err, `fetching ${remote}`);
      });
      const local = mine();
      const fetched = await fetching;
      const remoteRev = `${remote}/${branch}`;
      const theirs = opsById(fetched ? await git.show(repo, remoteRev, logRel) : null);
      outgoing = missingFrom(local, theirs);
      for (const o of missingFrom(theirs, local)) incoming.set(o.op_id, o);
      // Only a bead this clone holds (so it is in the hot index) can lose its claim.
      const claimed = [...incoming.values()].filter((o) => o.kind === 'claim' && !holdersBefore.has(o.bead));
      if (claimed.length) {
        const hot = store.view().hotIndex();
        for (const o of claimed) {
          const holder = hot.has(o.bead) ? hot.state(o.bead)?.bead.assignee : undefined;
          if (holder) holdersBefore.set(o.bead, holder);
        }
      }
      if (options.dryRun) {
        return { remote, branch, dry_run: true, out: counts(outgoing), in: counts([...incoming.values()]), committed: false, pushed: false, retries: 0, lost_claims: [] };
      }
      await git.add(repo, paths);
      committed = (await git.commitOnly(repo, paths, options.message ?? `bd sync: ${outgoing.length} operation(s)`)) || committed;
      if (fetched) await mergeKeepingStaged(repo, remoteRev, paths);
      try {
        // Nothing of ours to publish when the branch is exactly what the remote has.
        const upToDate = fetched && (await git.sameCommit(repo, 'HEAD', remoteRev));
        if (!upToDate) await git.push(repo, remote, branch);
        const lost = lostClaims(store, holdersBefore);
        return { remote, branch, dry_run: false, out: counts(outgoing), in: counts([...incoming.values()]), committed, pushed: !upToDate, retries: attempt, lost_claims: lost };
      } catch (err) {
        const text = String((err as Error).message);
        const raced = /rejected|non-fast-forward|fetch first|failed to push some refs/i.test(text) && !/denied|authentication|permission/i.test(text);
        if (!raced || attempt >= maxRetries) throw gitFailure(err, `pushing to ${remote}`);
      }
    }
  } finally {
    release();
  }
}

/**
 * Merges the remote branch. git merges only with an index that matches HEAD, so changes the user staged (never
 * committed by sync) are set aside first and put back staged after, whether the merge worked or not.
 */
async function mergeKeepingStaged(repo: git.Git, rev: string, storePaths: string[]): Promise<void> {
  const staged = await git.stagedExcept(repo, storePaths);
  if (staged.length) await git.stashStaged(repo, `bd sync: staged changes set aside (${staged.join(', ')})`);
  try {
    await git.merge(repo, rev);
  } catch (err) {
    const { unmerged } = await git.inProgress(repo);
    await git.abortMerge(repo);
    const others = unmerged.filter((p) => !storePaths.includes(p));
    if (others.length) throw new BeadsError('sync_failed', `merging ${rev} conflicts in files that are not the store's (${others.join(', ')}): merge by hand (git pull), then bd sync`);
    if (/unrelated histories/i.test(String((err as Error).message))) {
      throw new BeadsError('sync_failed', `${rev} has a history unrelated to this branch's: if it is the same project, merge it by hand (git pull --allow-unrelated-histories), then bd sync; otherwise point the remote elsewhere`);
    }
    throw gitFailure(err, `merging ${rev}`);
  } finally {
    if (staged.length) {
      await git.unstashStaged(repo).catch((err: unknown) => {
        throw new BeadsError('sync_failed', `your staged changes (${staged.join(', ')}) could not be put back after the merge; they are in git stash (${String((err as Error).message).split('\n')[0]})`);
      });
    }
  }
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
