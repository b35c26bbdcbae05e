// gt done: a polecat's work is finished. Its molecule's steps must all be closed; its branch (in the rig's
// clone, which its worktree shares) names the commit to merge and is pushed to the rig's remote, so the work
// outlives this machine (a polecat's own branch with a lease, since a rework rewrites it; never the target); a merge-request bead goes to the refinery's queue, and the refinery and the witness
// are told by mail. Running it again changes nothing.
import { BeadStore, BeadsError, gitFailure, listBeads, type Bead } from '@gastown/beads';
import { agentFor } from '../agents/index.js';
import type { Agent, MergeRequestMeta, MqMeta, Town } from '../model.js';
import { currentBranch, pushBranch, remoteUrl, replaceBranch, revParse } from '../git-cli.js';
import { sendMail } from './mail.js';
import { rigPaths } from '../town/index.js';
import { hookedWork } from './hook.js';

export interface DoneOptions {
  /** Push the branch to the rig clone's `origin` (when it has one). Default true. */
  push?: boolean;
}

export interface DoneResult {
  merge_request: string;
  existing: boolean;
  bead: string;
  branch: string;
  target: string;
  commit: string;
  /** The remote URL the branch is on, or null when it was not pushed. */
  pushed: string | null;
  notified: string[];
  /** Merge requests of the same bead this one replaced (a rework's earlier submission). */
  superseded: string[];
  /** The existing merge request was in rework and went back to the queue (the same commit resubmitted). */
  requeued?: boolean;
}

export function finishWork(town: Town, agent: Agent, options: DoneOptions = {}): DoneResult {
  if (agent.role !== 'polecat' || !agent.rig) throw new BeadsError('invalid_input', `gt done is for polecats; ${agent.address} is a ${agent.role}`);
  const store = BeadStore.open(agent.store);
  const work = hookedWork(agent, store);
  if (!work) throw new BeadsError('not_found', `${agent.address} has nothing on its hook`, { agent: agent.address });
  if (work.molecule && work.molecule.done < work.molecule.total) {
    throw new BeadsError('conflict', `${work.molecule.id} has ${work.molecule.total - work.molecule.done} step(s) not closed (next: ${work.step?.step ?? '?'} ${work.step?.id ?? ''}); close them first`, { molecule: work.molecule.id });
  }
  const clone = rigPaths(town, agent.rig).clone;
  const branch = currentBranch(agent.cwd);
  const commit = revParse(clone, `refs/heads/${branch}`);
  if (branch === 'HEAD' || !commit) throw new BeadsError('conflict', `${agent.cwd} is not on a branch of the rig's repository; check out its branch (polecat/${agent.name})`);
  if (revParse(agent.cwd, 'HEAD') !== commit) throw new BeadsError('conflict', `the worktree's HEAD is not its branch ${branch}`);
  const target = currentBranch(clone);
  if (branch === target) throw new BeadsError('conflict', `${agent.cwd} is on ${target}, the branch its work merges into; check out its own branch (polecat/${agent.name})`, { branch });
  const url = options.push === false ? null : remoteUrl(clone, 'origin');
  if (url) {
    try {
      // A rework resets the polecat's branch onto the new target: its own branch may be replaced, under a lease.
      if (branch === `polecat/${agent.name}`) replaceBranch(clone, 'origin', branch);
      else pushBranch(clone, 'origin', branch);
    } catch (err) {
      const failure = gitFailure(err, `pushing ${branch} to origin (${url})`);
      throw new BeadsError('sync_failed', `${failure.message}; nothing was filed. Fix that and run gt done again, or run gt done --no-push to file the merge request for this town's refinery only`, { branch, remote: url });
    }
  }
  // An open merge request is enough to look for: once one is merged and closed, its source bead is closed
  // too, and nothing is on the hook to finish again.
  const open = listBeads(store, { issue_type: ['merge-request'], limit: 0 }).filter((b) => mrMeta(b)?.source_bead === work.bead.id);
  const previous = open.find((b) => mrMeta(b)?.commit === commit);
  if (previous) {
    // The same commit again after the refinery sent it back: the polecat says it stands (the target may have
    // moved so that it applies now). It goes back to the queue, one rework more, so max_reworks still holds.
    const requeued = mqOf(previous).state === 'rework' && requeueAfterRework(store, agent.address, previous.id);
    if (requeued) sendMail(town, agent.address, agentFor(town, 'refinery', agent.rig).address, `Merge request ${previous.id}: ${branch} resubmitted`, `${agent.address} resubmitted ${previous.id} (${commit}) unchanged after its rework.`);
    return { merge_request: previous.id, existing: true, bead: work.bead.id, branch, target, commit, pushed: url, notified: requeued ? [agentFor(town, 'refinery', agent.rig).address] : [], superseded: [], ...(requeued ? { requeued: true } : {}) };
  }
  // A new commit for the same bead supersedes the merge requests still waiting (queued, or sent back for
  // rework); its reworks count on from theirs, so max_reworks holds across submissions. One write, decided
  // under the store's lock: one the refinery took meanwhile is not waiting any more, and is left to it.
  const meta: MergeRequestMeta = { branch, target, source_bead: work.bead.id, worker: agent.address, commit, ...(url ? { remote: url } : {}) };
  const { id: mrId, superseded } = store.transaction(agent.address, (tx) => {
    const waiting = open.map((b) => tx.get(b.id)).filter((b) => b.status !== 'closed' && ['queued', 'rework'].includes(mqOf(b).state));
    const reworks = Math.max(0, ...waiting.map((b) => mqOf(b).reworks + (mqOf(b).state === 'rework' ? 1 : 0)));
    const mq: MqMeta = { state: 'queued', queued_at: store.nowIso(), retries: 0, reworks, attempts: [] };
    const id = tx.create({
      title: `Merge ${branch}: ${work.bead.title}`,
      description: `${agent.address} finished ${work.bead.id} on ${branch} (${commit.slice(0, 12)}); merge it into ${target}.`,
      issue_type: 'merge-request',
      priority: work.bead.priority,
      metadata: { merge_request: meta, mq },
      deps: [{ type: 'related', id: work.bead.id }],
    });
    for (const old of waiting) {
      tx.set(old.id, { metadata: { ...(old.metadata as Record<string, unknown>), mq: { ...mqOf(old), state: 'superseded', superseded_by: id, reason: `superseded by ${id}` } } });
      tx.close(old.id, `superseded by ${id}`);
    }
    return { id, superseded: waiting.map((b) => b.id) };
  });
  const mr = store.get(mrId);
  const notified: string[] = [];
  for (const role of ['refinery', 'witness'] as const) {
    const to = agentFor(town, role, agent.rig);
    sendMail(town, agent.address, to.address, `Merge request ${mr.id}: ${branch}`, `${agent.address} finished ${work.bead.id} (${work.bead.title}). Branch ${branch} at ${commit} is ready to merge into ${target}: ${mr.id}.`);
    notified.push(to.address);
  }
  return { merge_request: mr.id, existing: false, bead: work.bead.id, branch, target, commit, pushed: url, notified, superseded };
}

export function mrMeta(bead: Bead): MergeRequestMeta | undefined {
  return (bead.metadata as { merge_request?: MergeRequestMeta } | undefined)?.merge_request;
}

/** Puts a merge request that is in rework back in the queue, decided under the store's lock; false when it was not in rework. */
function requeueAfterRework(store: BeadStore, actor: string, id: string): boolean {
  return store.transaction(actor, (tx) => {
    const bead = tx.get(id);
    const mq = mqOf(bead);
    if (mq.state !== 'rework' || bead.status === 'closed') return false;
    const next: MqMeta = { ...mq, state: 'queued', queued_at: store.nowIso(), reworks: mq.reworks + 1, reason: `resubmitted unchanged by ${actor}` };
    tx.set(id, { status: 'open', metadata: { ...(bead.metadata as Record<string, unknown>), mq: next } });
    return true;
  });
}

/**
 * A merge request's queue state, with defaults for what it lacks: one filed before the queue kept one is queued
 * since it was filed, and one written by hand or by another version of gt is read as far as it goes.
 */
export function mqOf(bead: Bead): MqMeta {
  const mq = ((bead.metadata as { mq?: Partial<MqMeta> } | undefined)?.mq ?? {}) as Partial<MqMeta>;
  const state = mq.state ?? (bead.status === 'closed' ? (bead.close_reason?.startsWith('merged') ? 'merged' : 'rejected') : 'queued');
  return {
    ...mq,
    state,
    queued_at: typeof mq.queued_at === 'string' ? mq.queued_at : bead.created_at,
    retries: Number.isInteger(mq.retries) ? mq.retries! : 0,
    reworks: Number.isInteger(mq.reworks) ? mq.reworks! : 0,
    attempts: Array.isArray(mq.attempts) ? mq.attempts.map((a) => ({ ...a, runs: Array.isArray(a?.runs) ? a.runs : [] })) : [],
  };
}
