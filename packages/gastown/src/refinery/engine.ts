// The refinery's engine: one round takes the head of the rig's merge queue (one merge request, or a batch),
// finds conflicts before any gate runs, builds the candidate on the latest target in the refinery's own clone,
// runs the gates on its exact tree, and lands it with a push that is a compare-and-set. Everything it decides
// is in the store before it acts, so a refinery killed at any moment is finished by the next one: a round
// starts by recovering what a dead one left taken (outcomes.ts holds what is done to a merge request then).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, BeadsError, sleepSync, withLock } from '@gastown/beads';
import type { GateRun, MqAttempt, MqFailure, Town } from '../model.js';
import { agentFor } from '../agents/index.js';
import { RIG_SETTINGS_FILE, parseSettingsText, rigPaths, rigSettings, type RigSettings } from '../town/index.js';
import { endOrphanedGates, gateProgram, notFound, runGateOn, runGates } from './gates.js';
import { ConflictError, InfraError, applyChange, checkoutClean, clearStaleLocks, conflictsWith, ensureClone, fetchRemote, git, inTree, pushIfAt, remoteTip, resolveBlob, resolveCommit, treeOf } from './git.js';
import { blockedSources, changeMq, mergeRequest, queueOrder, rigMergeRequests, type MergeRequest } from './queue.js';
import { openPullRequest, pollPullRequest } from './pr.js';
import { event, finishLanding, iso, lastAttempt, recover, reject, rejectMalformed, release, rework, withAttempt, type Ctx, type RoundEvent } from './outcomes.js';

export { rejectMergeRequest, type RoundAction, type RoundEvent } from './outcomes.js';

export interface RefineryOptions {
  /** Who the refinery writes as (default: the rig's refinery address). */
  actor?: string;
  now?: () => number;
  log?: (line: string) => void;
}

export interface RoundResult {
  events: RoundEvent[];
  /** Gate runs this round spent (retries of a failing gate included). */
  gate_runs: number;
  /** Whether there may be more to do (the queue was not empty). */
  more: boolean;
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
 * fetch left its commit in the refinery's clone. The round's fetch (pruned) may predate the push, though: gt done
 * pushes and then files, and a merge request filed after the fetch is in the queue the round reads. So a branch
 * the fetch did not see is asked of the remote as it is now before it is taken for gone.
 */
function haveCommit(ctx: Ctx, m: MergeRequest): string | null {
  if (m.meta.remote) {
    if (resolveCommit(ctx.clone, `refs/remotes/origin/${m.meta.branch}`) === null && remoteTip(ctx.clone, 'origin', m.meta.branch) === null) return `its branch ${m.meta.branch} is gone from the remote`;
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

/**
 * Whether a gate that was not found on a candidate is missing on the target itself: then the rig's gates are
 * wrong and no merge request is to blame. When the target has it, the candidate's change removed what the gate
 * runs (its test script, say), and that merge request is the culprit like any other whose gate fails. A gate
 * that runs a file of the repository is judged from the trees alone (what a worktree holds proves nothing: a
 * refinery killed inside git may have left it half-written); one found on PATH, or a script whose own command
 * was not found, is run on the target to see.
 */
function missingOnTarget(ctx: Ctx, settings: RigSettings, failed: GateRun, candidate: string, base: string): string | null {
  const g = settings.gates.find((x) => x.name === failed.gate);
  const said = failed.output.split('\n').pop();
  if (!g) return `gate ${JSON.stringify(failed.gate)} does not exist (exit 127: ${said})`;
  const program = gateProgram(g.run);
  if (program !== null && !inTree(ctx.clone, candidate, program)) {
    return inTree(ctx.clone, base, program) ? null : `gate ${JSON.stringify(g.name)} does not exist: ${program} is in neither the candidate nor the target (exit 127: ${said})`;
  }
  checkoutClean(ctx.clone, base);
  const runs = runGateOn(ctx.clone, g, base, treeOf(ctx.clone, base));
  ctx.gateRuns += runs.length;
  if (!notFound(runs.at(-1)!)) return null;
  return program === null
    ? `gate ${JSON.stringify(g.name)} does not exist (exit 127: ${said})`
    : `gate ${JSON.stringify(g.name)} cannot run: ${program} is in the target's tree but a command it runs is not found, on the target too (exit 127: ${said})`;
}

function gate(ctx: Ctx, settings: RigSettings, stack: Stacked[], upTo: number, retryFailure: boolean, base: string): ReturnType<typeof runGates> {
  const candidate = stack[upTo - 1]!.tip;
  const result = runGates(ctx.clone, candidate, settings.gates, { retryFailure });
  ctx.gateRuns += result.runs.length;
  recordRuns(ctx, stack.slice(0, upTo).map((s) => s.id), result.runs);
  const missing = result.failed && notFound(result.failed) ? missingOnTarget(ctx, settings, result.failed, candidate, base) : null;
  if (missing) throw new GateMissing(`${missing}; fix the rig's gates (gt rig settings ${ctx.rig} gates)`);
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
  // what each had before this round took it: a round that ends on the rig's configuration leaves no trace
  const untaken = new Map(taken.map((id) => [id, mergeRequest(ctx.store.get(id)).mq.attempts.length]));
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
    // not the merge requests' fault: back to the queue in their places, and the error is the round's. One that
    // is landing may be on the target already (the error came after its push): recovery looks before it decides.
    for (const id of mine) {
      if (mergeRequest(ctx.store.get(id)).mq.state === 'landing') continue;
      if (err instanceof GateMissing) {
        // the rig's gates are wrong, not the merge request: it is put back as it was (a refinery that looks
        // again every few seconds would otherwise add an attempt each time, without end)
        const kept = untaken.get(id) ?? 0;
        changeMq(ctx.store, ctx.actor, id, (m) => (m.mq.state === 'testing' ? { mq: { ...m.mq, state: 'queued', attempts: m.mq.attempts.slice(0, kept), reason: err.message }, status: 'open', assignee: null } : null));
      } else release(ctx, id, 'infrastructure', (err as Error).message);
    }
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
