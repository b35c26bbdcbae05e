// What the refinery does to a merge request once it has decided: send it back to the queue, finish its
// landing (close it and its source bead, delete the branch, mail MERGED), send it to rework, reject it; and, at
// the start of each round, finish what a refinery killed mid-way left (recover) and reject what it cannot read.
// Each step is idempotent, so a crash at any line is finished by the next round, not undone by hand.
import { BeadStore, BeadsError, closeBead, listBeads, releaseBead } from '@gastown/beads';
import { MQ_STATES, type MqAttempt, type MqFailure, type MqMeta, type Town } from '../model.js';
import { agentFor, nudgeAgent, townSessions } from '../agents/index.js';
import { rigPaths, type RigSettings } from '../town/index.js';
import { sendMail, townStore } from '../work/index.js';
import { plainText } from './gates.js';
import { deleteRemoteBranch, isAncestor, resolveCommit } from './git.js';
import { changeMq, mergeRequest, rigMergeRequests, type MergeRequest } from './queue.js';
import type { PrContext } from './pr.js';

export type RoundAction = 'idle' | 'merged' | 'rework' | 'rejected' | 'requeued' | 'recovered' | 'pr_opened' | 'pr_merged' | 'error';

export interface RoundEvent {
  action: RoundAction;
  mr?: string;
  detail: string;
  commit?: string;
}

export interface Ctx extends PrContext {
  town: Town;
  rig: string;
  store: BeadStore;
  clone: string;
  actor: string;
  now: () => number;
  log: (line: string) => void;
  events: RoundEvent[];
  gateRuns: number;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function event(ctx: Ctx, e: RoundEvent): void {
  ctx.events.push(e);
  ctx.log(`[refinery] ${e.action}${e.mr ? ` ${e.mr}` : ''}: ${e.detail}`);
}

export const lastAttempt = (mq: MqMeta): MqAttempt | undefined => mq.attempts.at(-1);

export function withAttempt(mq: MqMeta, change: Partial<MqAttempt>): MqMeta {
  const attempts = [...mq.attempts];
  attempts[attempts.length - 1] = { ...attempts[attempts.length - 1]!, ...change };
  return { ...mq, attempts };
}

/** Back to the queue, keeping its place (not a retry): a batch-mate failed, the refinery restarted, git failed. */
export function release(ctx: Ctx, id: string, outcome: MqAttempt['outcome'], detail: string): void {
  changeMq(ctx.store, ctx.actor, id, (m) => (m.mq.state === 'testing' || m.mq.state === 'landing' ? { mq: { ...withAttempt(m.mq, { outcome, detail }), state: 'queued', reason: detail }, status: 'open', assignee: null } : null));
}

// ---------- after landing: each step idempotent, so a restart finishes what a crash left ----------

/** Whether a message with this subject already went to `to` (since `since`, when given). */
function mailed(ctx: Ctx, to: string, subject: string, since?: string): boolean {
  return listBeads(townStore(ctx.town), { issue_type: ['message'], assignee: to, all: true, limit: 0 }).some((b) => b.title === subject && (!since || b.created_at >= since));
}

/**
 * Mail that is sent once: not again when a message with its subject already went to `to` (since `since`, when
 * given: a later attempt's news is news). A polecat that is no longer in the town (removed, or another town's)
 * cannot be mailed: `fallback` (the rig's witness) is told for it instead, or nobody when there is none.
 * Returns whether it sent something now.
 */
export function mailOnce(ctx: Ctx, to: string, subject: string, body: string, options: { since?: string; fallback?: string; notify?: boolean } = {}): boolean {
  if (mailed(ctx, to, subject, options.since)) return false;
  try {
    // what git, gh or a gate said is in it: as plain text (the store refuses control bytes in text)
    sendMail(ctx.town, ctx.actor, to, subject, plainText(body), { notify: options.notify });
    return true;
  } catch (err) {
    if (!(err instanceof BeadsError) || err.code !== 'not_found') throw err;
    ctx.log(`[refinery] cannot mail ${to}: ${err.message}`);
    if (options.fallback && options.fallback !== to) return mailOnce(ctx, options.fallback, subject, `(for ${to}, which is not in this town: ${err.message})\n\n${body}`, { since: options.since, notify: options.notify });
    return false;
  }
}

export function finishLanding(ctx: Ctx, id: string, commit: string): void {
  const m = mergeRequest(ctx.store.get(id));
  const source = ctx.store.state(m.meta.source_bead)?.bead;
  if (source && source.status !== 'closed' && source.status !== 'tombstone') closeBead(ctx.store, ctx.actor, source.id, `merged in ${commit}`);
  if (m.meta.remote) {
    try {
      // only where it still is what landed: a branch that moved on holds work that did not (a new submission)
      if (!deleteRemoteBranch(ctx.clone, 'origin', m.meta.branch, m.meta.commit)) ctx.log(`[refinery] kept ${m.meta.branch} on the remote: it moved past ${m.meta.commit.slice(0, 12)}, which landed`);
    } catch (err) {
      ctx.log(`[refinery] could not delete ${m.meta.branch} from the remote: ${(err as Error).message}`);
    }
  }
  const subject = `MERGED ${m.bead.id}: ${m.meta.branch}`;
  const body = `${m.bead.id} (${m.meta.source_bead}) landed on ${m.meta.target} in ${commit}.`;
  for (const to of [m.meta.worker, agentFor(ctx.town, 'witness', ctx.rig).address]) mailOnce(ctx, to, subject, body);
  changeMq(ctx.store, ctx.actor, id, (cur) =>
    cur.bead.status === 'closed' && cur.mq.state === 'merged' ? null : { mq: { ...withAttempt(cur.mq, { outcome: 'landed' }), state: 'merged', merged_commit: commit, reason: `merged in ${commit}` }, close: 'merged' },
  );
  event(ctx, { action: 'merged', mr: id, detail: `${m.meta.branch} landed on ${m.meta.target} in ${commit.slice(0, 12)}`, commit });
}

// ---------- rework and rejection ----------

/** gt mq reject: the same rejection the refinery makes after max_reworks, by a person. */
export function rejectMergeRequest(town: Town, rig: string, id: string, reason: string, actor: string): MergeRequest {
  const paths = rigPaths(town, rig);
  const ctx: Ctx = { town, rig, store: BeadStore.open(paths.store), clone: paths.refinery, actor, now: Date.now, log: () => {}, events: [], gateRuns: 0 };
  reject(ctx, id, reason);
  return mergeRequest(ctx.store.get(id));
}

function nudge(ctx: Ctx, address: string, text: string): void {
  try {
    const agent = agentFor(ctx.town, 'polecat', ctx.rig, address.split('/').pop());
    const info = townSessions(ctx.town).get(agent.session);
    if (info && !info.dead) nudgeAgent(ctx.town, agent, text);
  } catch (err) {
    // the mail is what counts; a nudge is a courtesy, but one that did not go out is said
    ctx.log(`[refinery] could not nudge ${address}: ${(err as Error).message}`);
  }
}

/** Releases the source bead (open, unassigned, its branch kept) and tells the mayor and the overseer. */
export function reject(ctx: Ctx, id: string, reason: string): void {
  const m = mergeRequest(ctx.store.get(id));
  const source = ctx.store.state(m.meta.source_bead)?.bead;
  if (source && source.status !== 'closed' && source.status !== 'tombstone') releaseBead(ctx.store, ctx.actor, source.id);
  const subject = `REJECTED ${m.bead.id}: ${m.meta.branch}`;
  const body = `${m.bead.id} (${m.meta.source_bead}, by ${m.meta.worker}) was rejected: ${reason}\nThe bead is open and unassigned again; its branch ${m.meta.branch} is kept.`;
  for (const to of ['mayor', 'overseer', m.meta.worker]) mailOnce(ctx, to, subject, body);
  changeMq(ctx.store, ctx.actor, id, (cur) => (cur.bead.status === 'closed' ? null : { mq: { ...cur.mq, state: 'rejected', reason }, close: `rejected: ${reason}` }));
  event(ctx, { action: 'rejected', mr: id, detail: reason });
}

const reworkSubject = (m: MergeRequest, failure: MqAttempt['outcome']): string => `REWORK ${m.bead.id}: ${failure === 'conflict' ? 'conflicts' : 'gate failed'} on ${m.meta.target}`;

/**
 * Tells the polecat of a merge request in rework (once per attempt): mail, then a nudge. Its witness is mailed
 * instead when the polecat is no longer in the town.
 */
function tellRework(ctx: Ctx, m: MergeRequest, body: string): void {
  const attempt = lastAttempt(m.mq);
  const subject = reworkSubject(m, attempt?.outcome);
  const witness = agentFor(ctx.town, 'witness', ctx.rig).address;
  if (mailOnce(ctx, m.meta.worker, subject, body, { since: attempt?.started_at, fallback: witness, notify: false })) nudge(ctx, m.meta.worker, `[gt refinery] ${subject}: run gt mail inbox`);
}

/** Sends a merge request back to its polecat (or rejects it after max_reworks). */
export function rework(ctx: Ctx, id: string, settings: RigSettings, failure: MqFailure, detail: string, evidence: string): void {
  const m = mergeRequest(ctx.store.get(id));
  if (m.mq.reworks >= settings.max_reworks) {
    changeMq(ctx.store, ctx.actor, id, (cur) => ({ mq: withAttempt(cur.mq, { outcome: failure, detail }), status: 'in_progress' }));
    return reject(ctx, id, `${detail} (after ${m.mq.reworks} rework${m.mq.reworks === 1 ? '' : 's'}; max_reworks is ${settings.max_reworks})`);
  }
  // The state first, then the mail: a polecat that reads REWORK (on any nudge, not only this one) finds its
  // merge request waiting for rework, never still testing. A refinery killed between the two is finished by
  // recover(), which tells the polecat of a merge request in rework it was not told of.
  const after = changeMq(ctx.store, ctx.actor, id, (cur) => ({ mq: { ...withAttempt(cur.mq, { outcome: failure, detail }), state: 'rework', reason: detail }, status: 'blocked', assignee: null }));
  tellRework(ctx, after, `${detail}\n\n${evidence}\n\n${redo(m)}`);
  event(ctx, { action: 'rework', mr: id, detail });
}

const redo = (m: MergeRequest): string =>
  `Redo ${m.meta.source_bead} on the latest ${m.meta.target} (git fetch origin; rebase or redo your branch ${m.meta.branch} on origin/${m.meta.target}), then run gt done again: it supersedes ${m.bead.id}.`;

/** Whether the polecat (or, for a polecat gone from the town, the witness) was mailed this attempt's REWORK. */
function reworkTold(ctx: Ctx, m: MergeRequest): boolean {
  const attempt = lastAttempt(m.mq);
  const subject = reworkSubject(m, attempt?.outcome);
  return [m.meta.worker, agentFor(ctx.town, 'witness', ctx.rig).address].some((to) => mailed(ctx, to, subject, attempt?.started_at));
}

/** Whatever a dead refinery left taken: landed ones are finished, the rest go back to the queue. */
export function recover(ctx: Ctx): void {
  for (const m of rigMergeRequests(ctx.store)) {
    // a state that ends a merge request is written a moment before its bead is closed: killed between, the
    // next refinery finishes it (the steps before are idempotent)
    if (m.mq.state === 'merged' && m.mq.merged_commit) {
      event(ctx, { action: 'recovered', mr: m.bead.id, detail: `it merged in ${m.mq.merged_commit.slice(0, 12)}: finishing the landing` });
      finishLanding(ctx, m.bead.id, m.mq.merged_commit);
      continue;
    }
    if (m.mq.state === 'rejected') {
      reject(ctx, m.bead.id, m.mq.reason ?? 'rejected');
      continue;
    }
    // sent back, but the refinery stopped before its polecat was told (the state is written before the mail)
    if (m.mq.state === 'rework' && m.bead.status === 'blocked' && !reworkTold(ctx, m)) {
      event(ctx, { action: 'recovered', mr: m.bead.id, detail: `it was sent to rework without its polecat being told: telling ${m.meta.worker}` });
      tellRework(ctx, m, `${m.mq.reason ?? lastAttempt(m.mq)?.detail ?? 'sent back by the refinery'}\n\nWhat failed: gt mq show ${m.bead.id} --output\n\n${redo(m)}`);
      continue;
    }
    if (m.mq.state !== 'testing' && m.mq.state !== 'landing') continue;
    const candidate = lastAttempt(m.mq)?.candidate;
    const target = resolveCommit(ctx.clone, `refs/remotes/origin/${m.meta.target}`);
    if (m.mq.state === 'landing' && candidate && target && resolveCommit(ctx.clone, candidate) && isAncestor(ctx.clone, candidate, target)) {
      event(ctx, { action: 'recovered', mr: m.bead.id, detail: `its candidate ${candidate.slice(0, 12)} is on ${m.meta.target}: finishing the landing` });
      finishLanding(ctx, m.bead.id, candidate);
    } else {
      release(ctx, m.bead.id, 'released', 'the refinery stopped while it was taken');
      event(ctx, { action: 'requeued', mr: m.bead.id, detail: 'the refinery stopped while it was taken; it keeps its place in the queue' });
    }
  }
}


/** What is missing or wrong in a merge request's metadata (written by another version of gt, or by hand), or null. */
function malformed(m: MergeRequest): string | null {
  const meta = m.meta as unknown as Record<string, unknown>;
  const missing = ['branch', 'target', 'source_bead', 'worker', 'commit'].filter((k) => typeof meta[k] !== 'string' || !(meta[k] as string).trim());
  if (missing.length) return `its metadata.merge_request has no ${missing.join(', ')}`;
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(m.meta.commit)) return `its commit ${JSON.stringify(m.meta.commit)} is not a full commit id`;
  const mq = m.mq as unknown as Record<string, unknown>;
  if (!MQ_STATES.includes(mq.state as MqMeta['state'])) return `its metadata.mq.state ${JSON.stringify(mq.state)} is not one of ${MQ_STATES.join(', ')}`;
  if (!Array.isArray(mq.attempts) || typeof mq.queued_at !== 'string' || Number.isNaN(Date.parse(mq.queued_at))) return 'its metadata.mq lacks attempts or a queued_at time';
  return null;
}

/**
 * Rejects the open merge requests the refinery cannot read, so that one such bead does not stop the queue:
 * its metadata is made whole (the rejection is readable), the mayor and the overseer are told.
 */
export function rejectMalformed(ctx: Ctx): void {
  for (const m of rigMergeRequests(ctx.store)) {
    const problem = malformed(m);
    if (!problem) continue;
    const reason = `the refinery cannot read ${m.bead.id}: ${problem}`;
    const raw = m.mq as unknown as Partial<MqMeta>;
    const mq: MqMeta = { state: 'rejected', queued_at: typeof raw.queued_at === 'string' ? raw.queued_at : m.bead.created_at, retries: Number(raw.retries) || 0, reworks: Number(raw.reworks) || 0, attempts: Array.isArray(raw.attempts) ? raw.attempts : [], reason };
    for (const to of ['mayor', 'overseer']) mailOnce(ctx, to, `REJECTED ${m.bead.id}: malformed`, `${reason}\nFile it again with gt done (or fix its metadata and gt mq retry ${m.bead.id}).`);
    changeMq(ctx.store, ctx.actor, m.bead.id, () => ({ mq, close: `rejected: ${reason}` }));
    event(ctx, { action: 'rejected', mr: m.bead.id, detail: reason });
  }
}
