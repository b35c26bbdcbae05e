// The refinery's engine: one round takes the head of the rig's merge queue (one merge request, or a batch),
// finds conflicts before any gate runs, builds the candidate on the latest target in the refinery's own clone,
// runs the gates on its exact tree, and lands it with a push that is a compare-and-set. Everything it decides
// is in the store before it acts, so a refinery killed at any moment is finished by the next one: a round
// starts by recovering what a dead one left taken.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, BeadsError, closeBead, listBeads, releaseBead, sleepSync, withLock } from '@gastown/beads';
import { MQ_STATES, type GateRun, type MqAttempt, type MqFailure, type MqMeta, type Town } from '../model.js';
import { agentFor, nudgeAgent, townSessions } from '../agents/index.js';
import { RIG_SETTINGS_FILE, parseSettingsText, rigPaths, rigSettings, type RigSettings } from '../town/index.js';
import { sendMail, townStore } from '../work/index.js';
import { endOrphanedGates, plainText, runGateOnce, runGates } from './gates.js';
import { ConflictError, InfraError, applyChange, checkoutClean, clearStaleLocks, conflictsWith, deleteRemoteBranch, ensureClone, fetchRemote, git, isAncestor, pushIfAt, remoteTip, resolveBlob, resolveCommit, treeOf } from './git.js';
import { blockedSources, changeMq, mergeRequest, queueOrder, rigMergeRequests, type MergeRequest } from './queue.js';
import { openPullRequest, pollPullRequest, type PrContext } from './pr.js';

export interface RefineryOptions {
  /** Who the refinery writes as (default: the rig's refinery address). */
  actor?: string;
  now?: () => number;
  log?: (line: string) => void;
}

export type RoundAction = 'idle' | 'merged' | 'rework' | 'rejected' | 'requeued' | 'recovered' | 'pr_opened' | 'pr_merged' | 'error';

export interface RoundEvent {
  action: RoundAction;
  mr?: string;
  detail: string;
  commit?: string;
}

export interface RoundResult {
  events: RoundEvent[];
  /** Gate runs this round spent (retries of a failing gate included). */
  gate_runs: number;
  /** Whether there may be more to do (the queue was not empty). */
  more: boolean;
}

interface Ctx extends PrContext {
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

const iso = (ms: number): string => new Date(ms).toISOString();

function event(ctx: Ctx, e: RoundEvent): void {
  ctx.events.push(e);
  ctx.log(`[refinery] ${e.action}${e.mr ? ` ${e.mr}` : ''}: ${e.detail}`);
}

/** The rig's target branch: the one its canonical clone has checked out (what gt done files merge requests into). */
function rigTarget(town: Town, rig: string): string {
  return git(rigPaths(town, rig).clone, ['rev-parse', '--abbrev-ref', 'HEAD']);
}

/** The settings as committed on the target's tip (so the gates that guard the target are the target's own), with the town's overrides. */
export function targetSettings(ctx: Pick<Ctx, 'town' | 'rig' | 'clone'>, target: string): RigSettings {
  let committed: string | null = null;
  try {
    committed = git(ctx.clone, ['show', `refs/remotes/origin/${target}:${RIG_SETTINGS_FILE}`]);
  } catch {
    committed = null;
  }
  if (committed !== null) parseSettingsText(committed, `${ctx.rig}'s ${RIG_SETTINGS_FILE} on ${target}`);
  return rigSettings(ctx.town, ctx.rig, { committed });
}

function prepare(town: Town, rig: string, options: RefineryOptions): Ctx {
  if (!town.rigs.some((r) => r.name === rig)) throw new BeadsError('not_found', `no rig ${rig} in this town (gt rig list)`, { rig });
  const paths = rigPaths(town, rig);
  const origin = git(paths.clone, ['remote', 'get-url', 'origin']);
  ensureClone(paths.refinery, origin, paths.clone);
  return {
    town,
    rig,
    store: BeadStore.open(paths.store),
    clone: paths.refinery,
    actor: options.actor ?? agentFor(town, 'refinery', rig).address,
    now: options.now ?? Date.now,
    log: options.log ?? (() => {}),
    events: [],
    gateRuns: 0,
  };
}

const lastAttempt = (mq: MqMeta): MqAttempt | undefined => mq.attempts.at(-1);

function withAttempt(mq: MqMeta, change: Partial<MqAttempt>): MqMeta {
  const attempts = [...mq.attempts];
  attempts[attempts.length - 1] = { ...attempts[attempts.length - 1]!, ...change };
  return { ...mq, attempts };
}

/** Back to the queue, keeping its place (not a retry): a batch-mate failed, the refinery restarted, git failed. */
function release(ctx: Ctx, id: string, outcome: MqAttempt['outcome'], detail: string): void {
  changeMq(ctx.store, ctx.actor, id, (m) => (m.mq.state === 'testing' || m.mq.state === 'landing' ? { mq: { ...withAttempt(m.mq, { outcome, detail }), state: 'queued', reason: detail }, status: 'open', assignee: null } : null));
}

// ---------- after landing: each step idempotent, so a restart finishes what a crash left ----------

/**
 * Mail that is sent once: not again when a message with its subject already went to `to` (since `since`, when
 * given: a later attempt's news is news). A polecat that is no longer in the town (removed, or another town's)
 * cannot be mailed: `fallback` (the rig's witness) is told for it instead, or nobody when there is none.
 */
function mailOnce(ctx: Ctx, to: string, subject: string, body: string, options: { since?: string; fallback?: string; notify?: boolean } = {}): void {
  const sent = listBeads(townStore(ctx.town), { issue_type: ['message'], assignee: to, all: true, limit: 0 }).some((b) => b.title === subject && (!options.since || b.created_at >= options.since));
  if (sent) return;
  try {
    // what git, gh or a gate said is in it: as plain text (the store refuses control bytes in text)
    sendMail(ctx.town, ctx.actor, to, subject, plainText(body), { notify: options.notify });
  } catch (err) {
    if (!(err instanceof BeadsError) || err.code !== 'not_found') throw err;
    ctx.log(`[refinery] cannot mail ${to}: ${err.message}`);
    if (options.fallback && options.fallback !== to) mailOnce(ctx, options.fallback, subject, `(for ${to}, which is not in this town: ${err.message})\n\n${body}`, { since: options.since, notify: options.notify });
  }
}

function finishLanding(ctx: Ctx, id: string, commit: string): void {
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
  } catch {
    /* the mail is what counts; a nudge is a courtesy */
  }
}

/** Releases the source bead (open, unassigned, its branch kept) and tells the mayor and the overseer. */
function reject(ctx: Ctx, id: string, reason: string): void {
  const m = mergeRequest(ctx.store.get(id));
  const source = ctx.store.state(m.meta.source_bead)?.bead;
  if (source && source.status !== 'closed' && source.status !== 'tombstone') releaseBead(ctx.store, ctx.actor, source.id);
  const subject = `REJECTED ${m.bead.id}: ${m.meta.branch}`;
  const body = `${m.bead.id} (${m.meta.source_bead}, by ${m.meta.worker}) was rejected: ${reason}\nThe bead is open and unassigned again; its branch ${m.meta.branch} is kept.`;
  for (const to of ['mayor', 'overseer', m.meta.worker]) mailOnce(ctx, to, subject, body);
  changeMq(ctx.store, ctx.actor, id, (cur) => (cur.bead.status === 'closed' ? null : { mq: { ...cur.mq, state: 'rejected', reason }, close: `rejected: ${reason}` }));
  event(ctx, { action: 'rejected', mr: id, detail: reason });
}

/** Sends a merge request back to its polecat (or rejects it after max_reworks). */
function rework(ctx: Ctx, id: string, settings: RigSettings, failure: MqFailure, detail: string, evidence: string): void {
  const m = mergeRequest(ctx.store.get(id));
  if (m.mq.reworks >= settings.max_reworks) {
    changeMq(ctx.store, ctx.actor, id, (cur) => ({ mq: withAttempt(cur.mq, { outcome: failure, detail }), status: 'in_progress' }));
    return reject(ctx, id, `${detail} (after ${m.mq.reworks} rework${m.mq.reworks === 1 ? '' : 's'}; max_reworks is ${settings.max_reworks})`);
  }
  const subject = `REWORK ${m.bead.id}: ${failure === 'conflict' ? 'conflicts' : 'gate failed'} on ${m.meta.target}`;
  const body = `${detail}\n\n${evidence}\n\nRedo ${m.meta.source_bead} on the latest ${m.meta.target} (git fetch origin; rebase or redo your branch ${m.meta.branch} on origin/${m.meta.target}), then run gt done again: it supersedes ${m.bead.id}.`;
  // the mail first: a refinery killed between the two sends it again (once per attempt) rather than never
  mailOnce(ctx, m.meta.worker, subject, body, { since: lastAttempt(m.mq)?.started_at, fallback: agentFor(ctx.town, 'witness', ctx.rig).address, notify: false });
  changeMq(ctx.store, ctx.actor, id, (cur) => ({ mq: { ...withAttempt(cur.mq, { outcome: failure, detail }), state: 'rework', reason: detail }, status: 'blocked', assignee: null }));
  nudge(ctx, m.meta.worker, `[gt refinery] ${subject}: run gt mail inbox`);
  event(ctx, { action: 'rework', mr: id, detail });
}

// ---------- taking, building, gating, landing ----------

/** Takes a queued merge request by compare-and-set: it must still be queued (a person may have rejected it). */
function take(ctx: Ctx, id: string, base: string, batch: string[]): boolean {
  const after = changeMq(ctx.store, ctx.actor, id, (m) => {
    if (m.mq.state !== 'queued') return null;
    const attempt: MqAttempt = { n: m.mq.attempts.length + 1, started_at: iso(ctx.now()), base, runs: [], ...(batch.length > 1 ? { batch: batch.filter((b) => b !== id) } : {}) };
    return { mq: { ...m.mq, state: 'testing', attempts: [...m.mq.attempts, attempt], reason: undefined }, status: 'in_progress', assignee: ctx.actor };
  });
  return after.mq.state === 'testing' && after.bead.assignee === ctx.actor;
}

function recordRuns(ctx: Ctx, ids: string[], runs: GateRun[]): void {
  for (const id of ids) changeMq(ctx.store, ctx.actor, id, (m) => ({ mq: withAttempt(m.mq, { runs: [...(lastAttempt(m.mq)?.runs ?? []), ...runs] }) }));
}

/**
 * Whether the merge request's commit can be had: from where gt done pushed it, else the rig's clone. A branch
 * that is gone from the remote (deleted: the work was abandoned) is a reason to reject, even when an earlier
 * fetch left its commit in the refinery's clone: the remote's branches were fetched (pruned) this round.
 */
function haveCommit(ctx: Ctx, m: MergeRequest): string | null {
  if (m.meta.remote) {
    if (resolveCommit(ctx.clone, `refs/remotes/origin/${m.meta.branch}`) === null) return `its branch ${m.meta.branch} is gone from the remote`;
    if (resolveCommit(ctx.clone, m.meta.commit)) return null;
    try {
      git(ctx.clone, ['fetch', '--quiet', 'origin', `+refs/heads/${m.meta.branch}:refs/remotes/origin/${m.meta.branch}`]);
    } catch {
      /* looked for below */
    }
  }
  if (!resolveCommit(ctx.clone, m.meta.commit)) {
    try {
      git(ctx.clone, ['fetch', '--quiet', 'rig', `+refs/heads/${m.meta.branch}:refs/remotes/rig/${m.meta.branch}`]);
    } catch {
      /* looked for below */
    }
  }
  return resolveCommit(ctx.clone, m.meta.commit) ? null : `its commit ${m.meta.commit.slice(0, 12)} is on neither the remote's ${m.meta.branch} nor the rig's`;
}

interface Stacked {
  id: string;
  /** The candidate with this merge request on top (and the batch's earlier ones beneath). */
  tip: string;
}

/**
 * What is wrong with the rig's settings file on `candidate`, when the change from `before` touched it: landed,
 * unreadable, or with no gates, it would stop every later round (the refinery reads its gates from the target),
 * so it is the merge request's to fix.
 */
function settingsProblem(ctx: Ctx, before: string, candidate: string): string | null {
  const blob = (commit: string): string | null => resolveBlob(ctx.clone, `${commit}:${RIG_SETTINGS_FILE}`);
  const after = blob(candidate);
  if (after === null || after === blob(before)) return null;
  try {
    const text = git(ctx.clone, ['cat-file', 'blob', after]);
    parseSettingsText(text, `${RIG_SETTINGS_FILE} on the candidate`);
    if (!rigSettings(ctx.town, ctx.rig, { committed: text }).gates.length) return `${RIG_SETTINGS_FILE} on the candidate leaves the rig with no gates: the refinery would land nothing after it`;
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Builds the stack of candidates on `base`: conflicts with the target go to rework (before any gate runs); one
 * that conflicts only with an earlier merge request of the batch goes back to the queue for the next round.
 */
function buildStack(ctx: Ctx, settings: RigSettings, ids: string[], base: string): Stacked[] {
  const stack: Stacked[] = [];
  let tip = base;
  for (const id of ids) {
    const m = mergeRequest(ctx.store.get(id));
    const files = conflictsWith(ctx.clone, base, m.meta.commit);
    if (files.length) {
      rework(ctx, id, settings, 'conflict', `${m.meta.branch} conflicts with ${m.meta.target} in ${files.join(', ')}`, `Conflicting files:\n${files.map((f) => `  ${f}`).join('\n')}`);
      continue;
    }
    try {
      const next = applyChange(ctx.clone, settings.merge === 'pr' ? 'rebase' : settings.merge, tip, m.meta.commit, `Merge ${m.meta.branch} (${m.bead.id}): ${m.bead.title.replace(/^Merge \S+: /, '')}`);
      const broken = settingsProblem(ctx, tip, next);
      if (broken) {
        rework(ctx, id, settings, 'gate_failed', `${m.meta.branch} leaves ${RIG_SETTINGS_FILE} unusable`, `${broken}\nThe refinery reads its gates from this file on ${m.meta.target}; it lands nothing that would leave it unreadable.`);
        continue;
      }
      stack.push({ id, tip: next });
      tip = next;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      if (stack.length === 0) rework(ctx, id, settings, 'conflict', `${m.meta.branch} does not rebase onto ${m.meta.target}: ${err.message}`, `Conflicting files:\n${err.files.map((f) => `  ${f}`).join('\n')}`);
      else release(ctx, id, 'released', `conflicts with ${stack.map((s) => s.id).join(', ')} of its batch; it goes again after them`);
    }
  }
  for (const s of stack) changeMq(ctx.store, ctx.actor, s.id, (m) => ({ mq: withAttempt(m.mq, { base, candidate: s.tip }) }));
  return stack;
}

const notFound = (run: GateRun): boolean => run.exit_code === 127 && /command not found|No such file or directory/.test(run.output);

/**
 * Whether a gate that was not found on a candidate is missing on the target itself: then the rig's gates are
 * wrong and no merge request is to blame. When the target has it, the candidate's change removed what the gate
 * runs (its test script, say), and that merge request is the culprit like any other whose gate fails.
 */
function missingOnTarget(ctx: Ctx, settings: RigSettings, failed: GateRun, base: string): boolean {
  const g = settings.gates.find((x) => x.name === failed.gate);
  if (!g) return true;
  checkoutClean(ctx.clone, base);
  ctx.gateRuns += 1;
  return notFound(runGateOnce(ctx.clone, g, treeOf(ctx.clone, base)));
}

function gate(ctx: Ctx, settings: RigSettings, stack: Stacked[], upTo: number, retryFailure: boolean, base: string): ReturnType<typeof runGates> {
  const candidate = stack[upTo - 1]!.tip;
  const result = runGates(ctx.clone, candidate, settings.gates, { retryFailure });
  ctx.gateRuns += result.runs.length;
  recordRuns(ctx, stack.slice(0, upTo).map((s) => s.id), result.runs);
  if (result.failed && notFound(result.failed) && missingOnTarget(ctx, settings, result.failed, base)) {
    throw new GateMissing(`gate ${JSON.stringify(result.failed.gate)} does not exist (exit 127: ${result.failed.output.split('\n').pop()}); fix the rig's gates (gt rig settings ${ctx.rig} gates)`);
  }
  return result;
}

/** A gate whose command does not exist: the rig's configuration is wrong, and no merge request is to blame. */
class GateMissing extends Error {}

/**
 * Lands the first `count` of the stack: records the candidate on each (state landing) before the push, so that a
 * restart knows whether it went out. Returns false when the target moved (the push was refused).
 */
function land(ctx: Ctx, stack: Stacked[], count: number, base: string, target: string): boolean {
  const landing = stack.slice(0, count);
  const top = landing[count - 1]!.tip;
  for (const s of landing) changeMq(ctx.store, ctx.actor, s.id, (m) => ({ mq: { ...withAttempt(m.mq, { outcome: 'passed', candidate: s.tip }), state: 'landing' } }));
  const pushed = top === base ? true : pushIfAt(ctx.clone, 'origin', target, top, base);
  if (pushed !== true) {
    const now = remoteTip(ctx.clone, 'origin', target);
    if (now === base) throw new InfraError(`the remote refused the push of ${top.slice(0, 12)} to ${target} although ${target} did not move (${pushed}); a protected branch takes merge: pr`);
    for (const s of landing) changeMq(ctx.store, ctx.actor, s.id, (m) => ({ mq: { ...withAttempt(m.mq, { outcome: 'retarget', detail: `${target} moved to ${now?.slice(0, 12)} while it was gated` }), state: 'testing' } }));
    return false;
  }
  git(ctx.clone, ['update-ref', `refs/remotes/origin/${target}`, top]);
  for (const s of landing) finishLanding(ctx, s.id, s.tip);
  return true;
}

/** Failure class of a gate result. */
const failureOf = (failed: GateRun): MqFailure => (failed.timed_out ? 'gate_timeout' : 'gate_failed');

function gateEvidence(failed: GateRun): string {
  return `Gate ${failed.gate} (${failed.command}) ${failed.timed_out ? 'timed out' : `exited ${failed.exit_code}`} on tree ${failed.tree.slice(0, 12)}:\n${failed.output}`;
}

/**
 * Gates and lands a batch (one merge request is a batch of one). A failing batch is bisected over its prefixes:
 * the longest prefix that passes lands, the merge request after it is the culprit, and the rest go back to the
 * queue in their places. Returns false when the target moved under a landing: the caller builds again.
 */
function gateAndLand(ctx: Ctx, settings: RigSettings, stack: Stacked[], base: string, target: string): boolean {
  const n = stack.length;
  const top = gate(ctx, settings, stack, n, n === 1, base);
  if (top.passed) return land(ctx, stack, n, base, target);
  if (n === 1) {
    const failed = top.failed!;
    rework(ctx, stack[0]!.id, settings, failureOf(failed), `gate ${failed.gate} ${failed.timed_out ? 'timed out' : `failed (exit ${failed.exit_code})`} on the candidate`, gateEvidence(failed));
    return true;
  }
  // prefix lo passes (0: the target itself), prefix hi fails
  let lo = 0;
  let hi = n;
  let hiFailed = top.failed!;
  let hiSeen = 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = gate(ctx, settings, stack, mid, false, base);
    if (r.passed) lo = mid;
    else {
      hi = mid;
      hiFailed = r.failed!;
      hiSeen = 1;
    }
  }
  if (hi === n && hiSeen === 1) {
    // the culprit's failure was seen only once, in the whole batch: run it once more before it counts
    const again = gate(ctx, settings, stack, n, false, base);
    if (again.passed) return land(ctx, stack, n, base, target);
    hiFailed = again.failed!;
  }
  if (lo > 0 && !land(ctx, stack, lo, base, target)) {
    for (const s of stack) release(ctx, s.id, 'released', `${target} moved while its batch was bisected`);
    return true;
  }
  const culprit = stack[hi - 1]!;
  rework(ctx, culprit.id, settings, failureOf(hiFailed), `gate ${hiFailed.gate} ${hiFailed.timed_out ? 'timed out' : `failed (exit ${hiFailed.exit_code})`} with this merge request on top of ${lo ? `${lo} of its batch` : target}`, gateEvidence(hiFailed));
  for (const s of stack.slice(hi)) release(ctx, s.id, 'released', `its batch was bisected; ${culprit.id} failed`);
  return true;
}

/** Whatever a dead refinery left taken: landed ones are finished, the rest go back to the queue. */
function recover(ctx: Ctx): void {
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

function settle(ctx: Ctx, more: boolean): RoundResult {
  return { events: ctx.events, gate_runs: ctx.gateRuns, more };
}

/**
 * One round: recover, then process the head of the queue (a merge request, or a batch of them). The caller
 * holds the rig's refinery lock (refineryRun does). Returns what it did.
 */
export function refineryRound(town: Town, rig: string, options: RefineryOptions = {}): RoundResult {
  try {
    return round(town, rig, options);
  } catch (err) {
    // git failed outside a merge request's processing (the fetch, the clone): the round's error, nobody's fault
    if (err instanceof InfraError) throw new BeadsError('sync_failed', `the refinery of rig ${rig} cannot go on: ${err.message}`, { rig });
    throw err;
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
function rejectMalformed(ctx: Ctx): void {
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

function round(town: Town, rig: string, options: RefineryOptions): RoundResult {
  const ctx = prepare(town, rig, options);
  fetchRemote(ctx.clone, 'origin');
  rejectMalformed(ctx);
  recover(ctx);
  // the queue is in the order the rig's settings say; each merge request lands on the target gt done recorded
  // for it (not whatever branch the rig's clone has checked out now), gated by that target's settings
  const home = rigTarget(town, rig);
  const homeSettings = targetSettings(ctx, home);
  for (const m of rigMergeRequests(ctx.store).filter((x) => x.mq.state === 'pr')) pollPullRequest(ctx, m, (id, commit) => finishLanding(ctx, id, commit), (id, why) => reject(ctx, id, why));
  const blocked = blockedSources(ctx.store);
  const ready = queueOrder(rigMergeRequests(ctx.store).filter((m) => m.mq.state === 'queued' && !blocked.has(m.meta.source_bead)), ctx.now(), homeSettings.max_wait_ms);
  if (!ready.length) {
    const tip = resolveCommit(ctx.clone, `refs/remotes/origin/${home}`);
    if (tip) checkoutClean(ctx.clone, tip);
    return settle(ctx, false);
  }
  const target = ready[0]!.meta.target;
  if (!resolveCommit(ctx.clone, `refs/remotes/origin/${target}`)) {
    const head = ready[0]!;
    if (take(ctx, head.bead.id, '', [head.bead.id])) reject(ctx, head.bead.id, `its target ${target} is not a branch of the remote`);
    return settle(ctx, true);
  }
  const settings = target === home ? homeSettings : targetSettings(ctx, target);
  const queue = ready.filter((m) => m.meta.target === target);
  if (!settings.gates.length) throw new BeadsError('invalid_input', `rig ${rig} has no gates: the refinery lands nothing ungated. Commit them in ${RIG_SETTINGS_FILE} ({"gates": ["npm test"]}) or set a town override: gt rig settings ${rig} gates '["npm test"]'`, { rig });
  let base = resolveCommit(ctx.clone, `refs/remotes/origin/${target}`);
  if (!base) throw new InfraError(`the remote has no branch ${target}`);
  const size = settings.merge === 'pr' ? 1 : settings.batch;
  const taken: string[] = [];
  for (const m of queue) {
    if (taken.length >= size) break;
    const problem = haveCommit(ctx, m);
    if (problem) {
      if (take(ctx, m.bead.id, base, [m.bead.id])) reject(ctx, m.bead.id, problem);
      continue;
    }
    taken.push(m.bead.id);
  }
  const mine = taken.filter((id) => take(ctx, id, base!, taken));
  try {
    for (let tries = 0; ; tries++) {
      const stack = buildStack(ctx, settings, mine.filter((id) => mergeRequest(ctx.store.get(id)).mq.state === 'testing'), base);
      if (!stack.length) break;
      if (settings.merge === 'pr') {
        const r = gate(ctx, settings, stack, 1, true, base!);
        if (r.passed) openPullRequest(ctx, settings, mergeRequest(ctx.store.get(stack[0]!.id)), stack[0]!.tip, target, (e) => event(ctx, e));
        else rework(ctx, stack[0]!.id, settings, failureOf(r.failed!), `gate ${r.failed!.gate} failed on the candidate`, gateEvidence(r.failed!));
        break;
      }
      if (gateAndLand(ctx, settings, stack, base, target)) break;
      // the target moved under the landing: build again on it, gate again
      fetchRemote(ctx.clone, 'origin');
      base = resolveCommit(ctx.clone, `refs/remotes/origin/${target}`)!;
      if (tries >= 5) {
        for (const s of stack) release(ctx, s.id, 'released', `${target} kept moving while it was gated`);
        break;
      }
      for (const s of stack) changeMq(ctx.store, ctx.actor, s.id, (m) => ({ mq: { ...m.mq, attempts: [...m.mq.attempts, { n: m.mq.attempts.length + 1, started_at: iso(ctx.now()), base: base!, runs: [] }] } }));
    }
  } catch (err) {
    // not the merge requests' fault: back to the queue in their places, and the error is the round's
    for (const id of mine) release(ctx, id, 'infrastructure', (err as Error).message);
    if (err instanceof GateMissing) throw new BeadsError('invalid_input', err.message, { rig });
    if (err instanceof InfraError) {
      event(ctx, { action: 'error', detail: err.message });
      return settle(ctx, false);
    }
    throw err;
  }
  const tip = resolveCommit(ctx.clone, `refs/remotes/origin/${target}`);
  if (tip) checkoutClean(ctx.clone, tip);
  return settle(ctx, true);
}

export interface RunOptions extends RefineryOptions {
  /** Process until the queue is empty, then return (else keep going, waiting `intervalMs` between empty rounds). */
  once?: boolean;
  intervalMs?: number;
  /** Stop (between rounds) when this says so. */
  stop?: () => boolean;
}

export const refineryLockPath = (town: Town, rig: string): string => join(town.root, '.gt', 'locks', `refinery-${rig}.lock`);

/** Runs rounds under the rig's refinery lock: one refinery per rig. */
export function refineryRun(town: Town, rig: string, options: RunOptions = {}): RoundResult {
  const all: RoundResult = { events: [], gate_runs: 0, more: false };
  const lock = refineryLockPath(town, rig);
  mkdirSync(join(town.root, '.gt', 'locks'), { recursive: true });
  try {
    withLock(
      lock,
      () => {
        // a refinery killed inside git left its locks: nobody else works in this clone while we hold the rig's lock
        const gone = endOrphanedGates(rigPaths(town, rig).refinery);
        if (gone.length) options.log?.(`[refinery] ended ${gone.length} process(es) a stopped refinery's gate left running in its clone`);
        for (const path of clearStaleLocks(rigPaths(town, rig).refinery)) options.log?.(`[refinery] removed ${path}, left by a refinery that stopped inside git`);
        for (;;) {
          let r: RoundResult;
          try {
            r = refineryRound(town, rig, options);
          } catch (err) {
            // a refinery that keeps running outlives a remote that is away for a while
            if (options.once || !(err instanceof BeadsError) || err.code !== 'sync_failed') throw err;
            options.log?.(`[refinery] error: ${err.message}`);
            r = { events: [{ action: 'error', detail: err.message }], gate_runs: 0, more: false };
          }
          all.events.push(...r.events);
          all.gate_runs += r.gate_runs;
          if (options.stop?.()) return;
          if (!r.more) {
            if (options.once) return;
            sleepSync(options.intervalMs ?? 5000);
          }
        }
      },
      { timeoutMs: 1000, what: `the refinery of rig ${rig}` },
    );
  } catch (err) {
    if (err instanceof BeadsError && err.code === 'lock_timeout' && err.details.lock === lock) throw new BeadsError('conflict', `another refinery is already running for rig ${rig} (${err.message})`, { rig });
    throw err;
  }
  return all;
}
