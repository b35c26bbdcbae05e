// Rescuing a polecat's work before the witness stops it or hands its bead to another: what is uncommitted is
// committed, and whatever no remote has is pushed to a branch of its own, rescue/<polecat>-<time>, which never
// collides with anyone's. The worktree itself is never deleted here.
import type { Agent, Town } from '../model.js';
import { commitAll, pushBranch, remoteUrl, revParse, setBranch, unmergedWork } from '../git-cli.js';
import { rigPaths } from '../town/index.js';

export interface Rescue {
  /** What was at risk (unmergedWork's words); empty when nothing was. */
  at_risk: string[];
  /** The rescue branch made (local, in the rig's clone), when there was work to rescue. */
  branch: string | null;
  /** The remote it was pushed to, or null (no origin, or the push failed). */
  pushed: string | null;
  /** Why the work is not safe on a remote, when it is not: the witness leaves the worktree and escalates. */
  error?: string;
}

/** yyyymmddThhmmss in UTC. */
export function rescueStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
}

/**
 * Makes the polecat's work safe: uncommitted changes committed on its branch, then its HEAD kept as branch
 * rescue/<name>-<time> and pushed to origin. Nothing to do when no work is at risk. Never throws: a failure is
 * returned as `error`, and the worktree is left as it is.
 */
export function rescueWork(town: Town, agent: Agent, now: number): Rescue {
  const known = [`refs/heads/polecat/${agent.name}`];
  let atRisk: string[];
  try {
    atRisk = unmergedWork(agent.cwd, { revs: ['HEAD', ...known] });
  } catch (err) {
    return { at_risk: ['git cannot read the worktree'], branch: null, pushed: null, error: (err as Error).message.split('\n')[0] };
  }
  if (!atRisk.length) return { at_risk: [], branch: null, pushed: null };
  const branch = `rescue/${agent.name}-${rescueStamp(now)}`;
  let made = false;
  try {
    commitAll(agent.cwd, `rescue: work of ${agent.address} left uncommitted, saved by the witness`);
    const head = revParse(agent.cwd, 'HEAD');
    if (!head) throw new Error(`${agent.cwd} has no commit to keep`);
    const clone = rigPaths(town, agent.rig!).clone;
    setBranch(clone, branch, head);
    made = true;
    const url = remoteUrl(clone, 'origin');
    if (!url) return { at_risk: atRisk, branch, pushed: null, error: "the rig's clone has no origin to push to" };
    pushBranch(clone, 'origin', branch);
    return { at_risk: atRisk, branch, pushed: url };
  } catch (err) {
    return { at_risk: atRisk, branch: made ? branch : null, pushed: null, error: (err as Error).message.split('\n')[0] };
  }
}
