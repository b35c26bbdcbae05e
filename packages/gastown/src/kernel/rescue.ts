// Rescuing a polecat's work before the witness stops it or hands its bead to another: what is uncommitted is
// committed, and whatever no remote has is pushed to a branch of its own, rescue/<polecat>-<time>, which never
// collides with anyone's. The worktree itself is never deleted here. A release keeps the polecat's HEAD on such a
// branch even when a remote has its commits already, so that the next sling of the bead starts from it.
import type { Bead } from '@gastown/beads';
import type { Agent, Town } from '../model.js';
import { commitAll, currentBranch, isAncestor, pushBranch, remoteUrl, revParse, setBranch, unmergedWork } from '../git-cli.js';
import { rigPaths } from '../town/index.js';
import { HOOK_MOLECULE_KEY, RELEASED_LABEL, RELEASE_KEY, type ReleaseRecord } from '../work/index.js';

export interface Rescue {
  /** What was at risk (unmergedWork's words); empty when nothing was. */
  at_risk: string[];
  /** The rescue branch made (local, in the rig's clone), when there was work to rescue. */
  branch: string | null;
  /** The remote it was pushed to, or null (no origin, or the push failed). */
  pushed: string | null;
  /** The commit the branch holds, when one was made. */
  commit?: string;
  /** Why the work is not safe on a remote, when it is not: the witness leaves the worktree and escalates. */
  error?: string;
}

/** yyyymmddThhmmss in UTC. */
export function rescueStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
}

/** Whether the worktree's HEAD holds commits its rig's target (the clone's branch, and origin's) does not. */
function aheadOfTarget(clone: string, cwd: string): boolean {
  const head = revParse(cwd, 'HEAD');
  if (!head) return false;
  const target = currentBranch(clone);
  return ![`refs/heads/${target}`, `refs/remotes/origin/${target}`].some((ref) => revParse(clone, ref) && isAncestor(clone, head, ref));
}

/**
 * Makes the polecat's work safe: uncommitted changes committed on its branch, then its HEAD kept as branch
 * rescue/<name>-<time> and pushed to origin. Nothing to do when no work is at risk, unless `keepHead` (a
 * release): then a HEAD with commits the target lacks is kept on such a branch even when a remote has them
 * (under the polecat's own branch, or an earlier rescue branch), so that one branch names the work to continue.
 * Never throws: a failure is returned as `error`, and the worktree is left as it is.
 */
export function rescueWork(town: Town, agent: Agent, now: number, options: { keepHead?: boolean } = {}): Rescue {
  const known = [`refs/heads/polecat/${agent.name}`];
  const clone = rigPaths(town, agent.rig!).clone;
  let atRisk: string[];
  let keep: boolean;
  try {
    atRisk = unmergedWork(agent.cwd, { revs: ['HEAD', ...known] });
    keep = atRisk.length > 0 || (Boolean(options.keepHead) && aheadOfTarget(clone, agent.cwd));
  } catch (err) {
    return { at_risk: ['git cannot read the worktree'], branch: null, pushed: null, error: (err as Error).message.split('\n')[0] };
  }
  if (!keep) return { at_risk: [], branch: null, pushed: null };
  const branch = `rescue/${agent.name}-${rescueStamp(now)}`;
  let made = false;
  let head: string | null = null;
  try {
    commitAll(agent.cwd, `rescue: work of ${agent.address} left uncommitted, saved by the witness`);
    head = revParse(agent.cwd, 'HEAD');
    if (!head) throw new Error(`${agent.cwd} has no commit to keep`);
    setBranch(clone, branch, head);
    made = true;
    const url = remoteUrl(clone, 'origin');
    if (!url) return { at_risk: atRisk, branch, pushed: null, commit: head, error: "the rig's clone has no origin to push to" };
    pushBranch(clone, 'origin', branch);
    return { at_risk: atRisk, branch, pushed: url, commit: head };
  } catch (err) {
    return { at_risk: atRisk, branch: made ? branch : null, pushed: null, ...(made && head ? { commit: head } : {}), error: (err as Error).message.split('\n')[0] };
  }
}

/**
 * What a release writes on the bead besides its own record, in the same transaction: metadata.release (the
 * molecule to continue, the branch holding the work) for the next sling, and the label that holds it back from
 * dispatch until a person acts.
 */
export function releaseMarks(bead: Bead, agent: Agent, restarts: number, rescue: Rescue, at: string): { metadata: Record<string, unknown>; label: string } {
  const molecule = (bead.metadata as Record<string, unknown> | undefined)?.[HOOK_MOLECULE_KEY];
  const record: ReleaseRecord = {
    at,
    from: agent.address,
    worktree: agent.cwd,
    restarts,
    molecule: typeof molecule === 'string' ? molecule : null,
    branch: rescue.branch,
    commit: rescue.commit ?? null,
    remote: rescue.pushed,
    ...(!rescue.branch && rescue.error ? { unsaved: rescue.error } : {}),
  };
  return { metadata: { [RELEASE_KEY]: record }, label: RELEASED_LABEL };
}
