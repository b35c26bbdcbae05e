// Finished polecats: what each polecat of a rig is at (its branch, its latest merge request, the state that
// follows from both, its session), and gt polecat gc, which stops and removes those whose work has merged
// (their session, worktree and local branch), and the polecats left over (leftovers.ts). A worktree that holds
// work no remote has is never removed.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, BeadsError, withLock, type Bead } from '@gastown/beads';
import { rigNames, rigPolecats, sessionState, stopAgents, townSessions, type SessionState } from '../agents/index.js';
import type { Agent, MqMeta, MqState, Town } from '../model.js';
import { currentBranch, fetchRemote, remoteUrl, removeCleanWorktree, revParse, unmergedWork } from '../git-cli.js';
import { rigPaths } from '../town/index.js';
import { mrMeta } from './done.js';
import { hookedWork } from './hook.js';
import { sweepLeftovers } from './leftovers.js';
import { latestMergeRequests, stateOf, type PolecatState } from './polecat-state.js';

export type { PolecatState } from './polecat-state.js';

const mqOf = (bead: Bead): MqMeta | undefined => (bead.metadata as { mq?: MqMeta } | undefined)?.mq;

export interface PolecatRow {
  rig: string;
  name: string;
  address: string;
  worktree: string;
  /** The branch its worktree has checked out (null when it is not a worktree git can read). */
  branch: string | null;
  hooked: string | null;
  merge_request: { id: string; status: string; queue_state: MqState; commit: string; source_bead: string } | null;
  state: PolecatState;
  session: string;
  session_state: SessionState;
}

function branchOf(agent: Agent): string | null {
  try {
    return currentBranch(agent.cwd);
  } catch {
    return null;
  }
}

/** Each polecat of the rig named (checked), or of every rig, with its branch, merge request, state and session. */
export function polecatRows(town: Town, rig?: string): PolecatRow[] {
  const sessions = townSessions(town);
  return rigNames(town, rig).flatMap((r) => {
    const polecats = rigPolecats(town, r);
    if (!polecats.length) return [];
    const store = BeadStore.open(rigPaths(town, r).store);
    const latest = latestMergeRequests(store);
    return polecats.map((agent): PolecatRow => {
      const hooked = hookedWork(agent, store)?.bead ?? null;
      const mr = latest.get(agent.address);
      const meta = mr ? mrMeta(mr)! : undefined;
      return {
        rig: r,
        name: agent.name!,
        address: agent.address,
        worktree: agent.cwd,
        branch: branchOf(agent),
        hooked: hooked?.id ?? null,
        merge_request: mr && meta ? { id: mr.id, status: mr.status, queue_state: mqOf(mr)?.state ?? 'queued', commit: meta.commit, source_bead: meta.source_bead } : null,
        state: stateOf(hooked, mr),
        session: agent.session,
        session_state: sessionState(sessions.get(agent.session)),
      };
    });
  });
}

export interface GcEntry {
  address: string;
  worktree: string;
  branch: string | null;
  /** Why it was kept (absent for one removed). */
  reason?: string;
}

export interface GcResult {
  dry_run: boolean;
  removed: GcEntry[];
  kept: GcEntry[];
}

/**
 * Work in a polecat's worktree that no remote has: uncommitted changes, and commits of its HEAD or its branch
 * that no remote-tracking ref contains, past the commit its merged merge request recorded (which landed, as a
 * rebased copy when the rig rebases, and whose remote branch the refinery deletes, so its own history need be
 * on no remote).
 */
function workAtRisk(agent: Agent, row: PolecatRow): string[] {
  try {
    return unmergedWork(agent.cwd, { revs: ['HEAD', `refs/heads/polecat/${agent.name}`], known: row.merge_request ? [row.merge_request.commit] : [] });
  } catch (err) {
    return [`git cannot read it as a worktree (${(err as Error).message.split('\n')[0]})`];
  }
}

/**
 * Stops and removes the polecats whose work has merged (state merged): their session, worktree and local
 * branch polecat/<name>. Each rig's clone fetches its origin first, so that what the remote has is known; a
 * polecat whose worktree holds work no remote has is named with the reason and left as it is. Then the
 * polecats left over (leftovers.ts: idle, no session, no sling making them, nothing of their own) are removed.
 * With dryRun, says what it would do and changes nothing.
 */
export function gcPolecats(town: Town, rig?: string, options: { dryRun?: boolean } = {}): GcResult {
  const rigs = rigNames(town, rig);
  const result: GcResult = { dry_run: Boolean(options.dryRun), removed: [], kept: [] };
  for (const r of rigs) {
    gcMerged(town, r, result, Boolean(options.dryRun));
    gcLeftovers(town, r, result, Boolean(options.dryRun));
  }
  return result;
}

function gcMerged(town: Town, r: string, result: GcResult, dryRun: boolean): void {
  const merged = polecatRows(town, r).filter((p) => p.state === 'merged');
  if (!merged.length) return;
  const agents = new Map(rigPolecats(town, r).map((a) => [a.address, a]));
  const clone = rigPaths(town, r).clone;
  if (remoteUrl(clone, 'origin')) {
    try {
      fetchRemote(clone, 'origin');
    } catch (err) {
      throw new BeadsError('sync_failed', `fetching origin in rig ${r} (to see what it has): ${(err as Error).message}; nothing was removed`, { rig: r });
    }
  }
  for (const row of merged) {
    const agent = agents.get(row.address)!;
    const entry: GcEntry = { address: row.address, worktree: row.worktree, branch: row.branch };
    const risk = workAtRisk(agent, row);
    if (risk.length) result.kept.push({ ...entry, reason: risk.join('; ') });
    else if (dryRun) result.removed.push(entry);
    else {
      const kept = removePolecat(town, r, agent, row);
      if (kept) result.kept.push({ ...entry, reason: kept });
      else result.removed.push(entry);
    }
  }
}

/** The rig's left-over polecats (leftovers.ts), removed under the rig's sling lock as a sling's sweep does. */
function gcLeftovers(town: Town, r: string, result: GcResult, dryRun: boolean): void {
  if (!rigPolecats(town, r).length) return;
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  const store = BeadStore.open(rigPaths(town, r).store);
  const sweep = withLock(join(locks, `sling-${r}.lock`), () => sweepLeftovers(town, r, store, { dryRun }), { timeoutMs: 120_000, what: `collecting the polecats left over in rig ${r}` });
  result.removed.push(...sweep.removed.map(({ address, worktree, branch }) => ({ address, worktree, branch })));
  result.kept.push(...sweep.kept);
}

/**
 * Stops a polecat's session, then (asked again once nothing runs in it) removes its worktree and branch, under
 * the rig's sling lock so that no sling takes the name half-way. The reason it was kept, or null when removed.
 */
function removePolecat(town: Town, rig: string, agent: Agent, row: PolecatRow): string | null {
  stopAgents(town, [agent]);
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  const clone = rigPaths(town, rig).clone;
  return withLock(
    join(locks, `sling-${rig}.lock`),
    () => {
      // its runtime may have written something before it stopped
      const risk = workAtRisk(agent, row);
      if (risk.length) return `${risk.join('; ')} (its session was stopped)`;
      const branch = `polecat/${agent.name}`;
      try {
        removeCleanWorktree(clone, agent.cwd, revParse(clone, `refs/heads/${branch}`) ? branch : null);
      } catch (err) {
        return `git could not remove it: ${(err as Error).message}`;
      }
      return existsSync(agent.cwd) ? `its directory ${agent.cwd} is still there` : null;
    },
    { timeoutMs: 120_000, what: `removing ${agent.address}` },
  );
}
