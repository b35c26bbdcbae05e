// Polecats that nobody will ever use again, and their removal. A sling claims the name it takes: a file naming
// its process, written under the rig's sling lock before the worktree is made and removed when the sling ends,
// so that a sling still running (its setup runs outside the lock, for minutes) is told from one that was
// killed. A polecat is left over when no sling is making it, no session runs for it, nothing is on its hook,
// no pending release names it, it has no merge request in the queue or done (gc's business), and its
// worktree holds nothing that its rig's target or a remote lacks. Such a polecat is removed (its worktree
// and branch polecat/<name>) under the rig's sling lock, which every sling takes to choose a name: by the next
// sling, and, for the polecat a release came from, by the sling that used the release.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { listBeads, withLock, type Bead, type BeadStore } from '@gastown/beads';
import { rigPolecats, townSessions } from '../agents/index.js';
import type { Agent, Town } from '../model.js';
import { branchExists, currentBranch, removeCleanWorktree, unmergedWork } from '../git-cli.js';
import { rigPaths } from '../town/index.js';
import { latestMergeRequests, stateOf } from './polecat-state.js';
import { pendingRelease } from './released.js';

const claimFile = (town: Town, rig: string, name: string): string => join(town.root, '.gt', 'slings', rig, name);

/**
 * Claims a polecat name for this process's sling (called under the rig's sling lock, before the worktree is
 * made); returns what ends the claim, called when the sling ends, made or undone.
 */
export function claimName(town: Town, rig: string, name: string): () => void {
  const file = claimFile(town, rig, name);
  mkdirSync(join(file, '..'), { recursive: true });
  const content = `${process.pid} ${hostname()}\n`;
  writeFileSync(`${file}.${process.pid}.tmp`, content);
  renameSync(`${file}.${process.pid}.tmp`, file);
  return () => {
    try {
      if (readFileSync(file, 'utf8') === content) rmSync(file, { force: true });
    } catch {
      /* gone already */
    }
  };
}

/**
 * Whether a sling is making the polecat: its claim names a process that is alive (or one on another machine,
 * which cannot be told). A process id reused since keeps the polecat: a leftover kept, never work lost.
 */
export function slingRunning(town: Town, rig: string, name: string): boolean {
  let content: string;
  try {
    content = readFileSync(claimFile(town, rig, name), 'utf8');
  } catch {
    return false;
  }
  const [pid, host] = content.trim().split(' ');
  if (host !== hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Leftover {
  address: string;
  worktree: string;
  /** The branch its worktree has checked out (null when git cannot tell). */
  branch: string | null;
  /** Why it was kept (absent for one removed). */
  reason?: string;
}

export interface Sweep {
  /** Left over, and removed (with dryRun: would be). */
  removed: Leftover[];
  /** Left over, but holding what its removal would lose, or refused by git. */
  kept: Leftover[];
  /** Not left over, and why (their branch is not asked). */
  skipped: Omit<Leftover, 'branch'>[];
}

/**
 * Why the store says the polecat is not left over, else null: something is on its hook, a release no sling has
 * used yet names it (a person may look at what it left), or its latest merge request is in the queue, merged
 * or rejected (gt polecat gc's business).
 */
function storeReason(agent: Agent, hooked: Set<string>, releasedFrom: Set<string>, mrs: () => Map<string, Bead>): string | null {
  if (hooked.has(agent.address)) return 'something is on its hook';
  if (releasedFrom.has(agent.address)) return 'a pending release names it';
  const state = stateOf(null, mrs().get(agent.address));
  return state === 'idle' ? null : `its merge request is ${state.replace('_', ' ')}`;
}

/**
 * Removes the rig's left-over polecats (or only those of `only`, addresses), each asked as above; the caller
 * holds the rig's sling lock, so no sling takes a name or makes a worktree meanwhile. Never throws for one
 * polecat: what stops its removal is its reason to be kept.
 */
export function sweepLeftovers(town: Town, rig: string, store: BeadStore, options: { only?: string[]; dryRun?: boolean } = {}): Sweep {
  const result: Sweep = { removed: [], kept: [], skipped: [] };
  const polecats = rigPolecats(town, rig).filter((a) => !options.only || options.only.includes(a.address));
  if (!polecats.length) return result;
  const clone = rigPaths(town, rig).clone;
  let sessions: Map<string, unknown>;
  try {
    sessions = townSessions(town);
  } catch (err) {
    // without the sessions nothing can be said to be idle
    for (const a of polecats) result.skipped.push({ address: a.address, worktree: a.cwd, reason: `its session cannot be asked about (${(err as Error).message.split('\n')[0]})` });
    return result;
  }
  // the cheap questions first: most polecats are working, and answer one of them
  const hooked = new Set(listBeads(store, { status: ['hooked'], limit: 0 }).map((b) => b.assignee ?? ''));
  let releasedFrom: Set<string> | undefined;
  let latest: Map<string, Bead> | undefined;
  const mrs = () => (latest ??= latestMergeRequests(store));
  for (const agent of polecats) {
    const skip = (reason: string) => result.skipped.push({ address: agent.address, worktree: agent.cwd, reason });
    if (slingRunning(town, rig, agent.name!) || existsSync(join(clone, '.git', 'refs', 'heads', 'polecat', `${agent.name}.lock`))) {
      skip('a sling is making it');
      continue;
    }
    if (sessions.has(agent.session)) {
      skip('it has a session (running or dead)');
      continue;
    }
    releasedFrom ??= new Set(listBeads(store, { limit: 0 }).flatMap((b) => pendingRelease(b)?.from ?? []));
    const said = storeReason(agent, hooked, releasedFrom, mrs);
    if (said) {
      skip(said);
      continue;
    }
    const entry: Leftover = { address: agent.address, worktree: agent.cwd, branch: branchOf(agent) };
    const kept = removeLeftover(clone, agent, Boolean(options.dryRun));
    if (kept) result.kept.push({ ...entry, reason: kept });
    else {
      if (!options.dryRun) rmSync(claimFile(town, rig, agent.name!), { force: true });
      result.removed.push(entry);
    }
  }
  return result;
}

function branchOf(agent: Agent): string | null {
  try {
    return currentBranch(agent.cwd);
  } catch {
    return null;
  }
}

/**
 * Removes the worktree and branch of a polecat that holds nothing the rig's target or a remote-tracking ref
 * lacks (the commit it started from is on one of them); the reason it was kept, or null when removed (with
 * dryRun: when it would be).
 */
function removeLeftover(clone: string, agent: Agent, dryRun: boolean): string | null {
  const branch = `polecat/${agent.name}`;
  try {
    const target = currentBranch(clone);
    const risk = unmergedWork(agent.cwd, { revs: ['HEAD', `refs/heads/${branch}`], known: [`refs/heads/${target}`] });
    if (risk.length) return risk.join('; ');
    if (dryRun) return null;
    removeCleanWorktree(clone, agent.cwd, branchExists(clone, branch) ? branch : null);
  } catch (err) {
    return `git could not check or remove it: ${(err as Error).message.split('\n')[0]}`;
  }
  return existsSync(agent.cwd) ? `its directory ${agent.cwd} is still there` : null;
}

/**
 * The polecat a release came from, once a sling has used the release (continued the bead, or set it aside for
 * a fresh start): asked as a leftover under the rig's sling lock, now that no pending release names it. Its
 * work is on the release's branch, where the new polecat started; its worktree and name are freed. Kept, with
 * the reason, when anything is still its own (the same questions as the sweep's: the next sweep asks again).
 */
export function retireReleased(town: Town, rig: string, store: BeadStore, from: string, worktree: string): { removed: boolean; reason?: string } {
  const polecat = rigPolecats(town, rig).find((a) => a.address === from);
  if (!polecat) return { removed: false, reason: 'it is gone already' };
  if (polecat.cwd !== worktree) return { removed: false, reason: `its worktree is not the one the release recorded (${worktree})` };
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  try {
    const sweep = withLock(join(locks, `sling-${rig}.lock`), () => sweepLeftovers(town, rig, store, { only: [from] }), { timeoutMs: 120_000, what: `retiring ${from}` });
    return sweep.removed.length ? { removed: true } : { removed: false, reason: [...sweep.kept, ...sweep.skipped][0]?.reason ?? 'it was not found' };
  } catch (err) {
    return { removed: false, reason: (err as Error).message.split('\n')[0] };
  }
}
