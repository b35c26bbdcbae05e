// The witness patrol: code, not a prompt. It looks at each polecat of a rig, detects the dead, the stalled
// and the finished, and acts: nudge, restart with the hook kept, release; re-checking before each action
// that nothing changed since it decided. One patrol of a rig at a time (a lock; a second returns at once).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, BeadsError, listBeads, withLock, type Bead } from '@gastown/beads';
import { capturePane, nudgeAgent, requireRig, rigPolecats, stopAgents, townSessions, townSocket } from '../agents/index.js';
import type { Agent, Tools, Town } from '../model.js';
import { rigPaths, rigSettings, type RigSettings } from '../town/index.js';
import { HOOK_MOLECULE_KEY, gcPolecats, hookedWork, launchAgent, polecatRows, sendMail, type GcResult, type HookedWork, type PolecatRow } from '../work/index.js';
import { releaseMarks, rescueWork, type Rescue } from './rescue.js';
import { WITNESS_KEY, decide, inSpawnGrace, witnessMeta, type Decision, type PolecatLook, type WitnessMeta } from './witness-detect.js';
import { observePane, readPanes, writePanes, type PaneObservations } from './witness-panes.js';
import { rigHold } from './services.js';
import { superviseDaemon, type DaemonSupervision } from './supervise.js';

export { witnessMeta, type Detection, type PatrolAction, type WitnessMeta } from './witness-detect.js';
export { rescueWork, type Rescue } from './rescue.js';

export interface PatrolOptions {
  tools: Tools;
  actor?: string;
  dryRun?: boolean;
  /** The clock (unix ms), so tests can move it; default Date.now(). */
  now?: number;
  log?: (line: string) => void;
  /** Called after a decision and before its re-check (tests change things here). */
  beforeAction?: (finding: PatrolFinding) => void;
}

export interface PatrolFinding {
  polecat: string;
  bead: string | null;
  kind: string;
  evidence: string;
  /** What the decision was made on. */
  seen: PatrolSeen;
  action: string;
  /** False for a dry run, or when the re-check found that something changed. */
  done: boolean;
  reason: string;
  /** The restarts counted on the bead after this action. */
  restarts?: number;
  rescue?: Rescue;
}

export interface PatrolSeen {
  session: 'absent' | 'dead' | 'running';
  instance: string | null;
  /** How long the pane has shown the same content (this instance), when it was looked at. */
  pane_unchanged_ms: number | null;
  last_op_at: string | null;
  /** Its latest merge request's queue state. */
  mr_state: string | null;
  restarts: number;
  started_at: string;
}

function seenOf(look: PolecatLook, now: number): PatrolSeen {
  const s = look.session;
  return {
    session: !s ? 'absent' : s.dead ? 'dead' : 'running',
    instance: s?.instance ?? null,
    pane_unchanged_ms: look.pane && s && look.pane.instance === s.instance ? now - look.pane.since : null,
    last_op_at: look.last_op_ms === null ? null : new Date(look.last_op_ms).toISOString(),
    mr_state: look.mr_state,
    restarts: witnessMeta(look.bead).restarts,
    started_at: new Date(look.started_ms).toISOString(),
  };
}

export interface PatrolResult {
  rig: string;
  dry_run: boolean;
  /** Another patrol of the rig held its lock: this one did nothing. */
  busy?: boolean;
  /** gt down RIG holds the rig: its polecats were stopped on purpose, and the patrol leaves them alone. */
  held?: { since: string; by: string };
  /** The daemon was found down (the town marked up) and started again, or would be (supervise.ts). */
  daemon?: DaemonSupervision;
  findings: PatrolFinding[];
}

const CHANGED = 'changed since the decision';
const ms = (iso: string | undefined): number | null => (iso ? Date.parse(iso) : null);
const maxOf = (values: (number | null)[]): number | null => values.reduce<number | null>((m, v) => (v === null || Number.isNaN(v) ? m : m === null ? v : Math.max(m, v)), null);

/** When the worktree was made: its .git link file, written once by git worktree add. */
function worktreeMadeMs(agent: Agent): number {
  try {
    return statSync(join(agent.cwd, '.git')).mtimeMs;
  } catch {
    return existsSync(agent.cwd) ? statSync(agent.cwd).mtimeMs : 0;
  }
}

/** The latest bead slung to this polecat that is closed (a slung bead carries the hook's molecule key). */
function latestClosedBead(store: BeadStore, agent: Agent): Bead | null {
  const closed = listBeads(store, { assignee: agent.address, status: ['closed'], all: true, limit: 0 }).filter((b) => (b.metadata as Record<string, unknown> | undefined)?.[HOOK_MOLECULE_KEY] !== undefined);
  return closed.sort((a, b) => (b.closed_at ?? b.updated_at).localeCompare(a.closed_at ?? a.updated_at))[0] ?? null;
}

interface Seen {
  agent: Agent;
  look: PolecatLook;
  mr: PolecatRow['merge_request'];
}

/** Looks at every polecat of the rig; records what each pane shows (unless dryRun). */
function lookAtPolecats(town: Town, rig: string, store: BeadStore, now: number, dryRun: boolean): Seen[] {
  const sessions = townSessions(town);
  const rows = new Map(polecatRows(town, rig).map((r) => [r.address, r]));
  const previous = readPanes(town, rig);
  const panes: PaneObservations = {};
  const seen = rigPolecats(town, rig).map((agent): Seen => {
    const info = sessions.get(agent.session);
    const row = rows.get(agent.address);
    const work = hookedWork(agent, store);
    const bead = work?.bead ?? null;
    const lastOp = lastOperation(store, work, row?.merge_request ?? null);
    let pane = null;
    if (info && !info.dead && bead) {
      try {
        pane = observePane(previous[agent.address], info.instance, capturePane(townSocket(town), agent.session, 200), now);
        panes[agent.address] = pane;
      } catch {
        /* the session ended while we looked: the next patrol sees it gone */
      }
    }
    const meta = witnessMeta(bead);
    const look: PolecatLook = {
      address: agent.address,
      session: info ? { instance: info.instance, dead: info.dead, created: info.created } : null,
      bead,
      steps: work?.molecule ? { done: work.molecule.done, total: work.molecule.total } : null,
      last_op_ms: lastOp,
      started_ms: maxOf([info ? info.created * 1000 : null, ms(meta.last_restart_at), worktreeMadeMs(agent)]) ?? 0,
      pane,
      state: row?.state ?? 'idle',
      mr_state: row?.merge_request?.queue_state ?? null,
      closed_bead: !bead && info ? latestClosedBead(store, agent) : null,
    };
    return { agent, look, mr: row?.merge_request ?? null };
  });
  if (!dryRun) writePanes(town, rig, panes);
  return seen;
}

/** The latest operation on the hooked bead, its molecule, its steps, and its merge request (unix ms). */
function lastOperation(store: BeadStore, work: HookedWork | null, mr: PolecatRow['merge_request']): number | null {
  if (!work) return null;
  const steps = work.molecule ? flatSteps(work.molecule.steps) : [];
  const ids = [work.bead.id, ...(work.molecule ? [work.molecule.id] : []), ...steps, ...(mr && mr.source_bead === work.bead.id ? [mr.id] : [])];
  return maxOf(ids.map((id) => ms(store.get(id).updated_at)));
}

function flatSteps(steps: { id: string; children: { id: string; children: unknown[] }[] }[]): string[] {
  return steps.flatMap((s) => [s.id, ...flatSteps(s.children as typeof steps)]);
}

/** What changed since the look the decision was made on (session instance, hook, bead), or null when nothing did. */
function changedSince(town: Town, store: BeadStore, seen: Seen): string | null {
  const info = townSessions(town).get(seen.agent.session);
  const before = seen.look.session;
  if ((info?.instance ?? null) !== (before?.instance ?? null) || (info && before && info.dead !== before.dead)) {
    return `${CHANGED}: the session is ${info ? `${info.instance}${info.dead ? ' (dead)' : ''}` : 'gone'}, was ${before ? `${before.instance}${before.dead ? ' (dead)' : ''}` : 'gone'}`;
  }
  const work = hookedWork(seen.agent, store);
  const hooked = work?.bead ?? null;
  if ((hooked?.id ?? null) !== (seen.look.bead?.id ?? null)) return `${CHANGED}: its hook holds ${hooked?.id ?? 'nothing'}, was ${seen.look.bead?.id ?? 'nothing'}`;
  if (hooked && beadChanged(seen.look.bead!, hooked)) return `${CHANGED}: ${hooked.id} was updated (${hooked.updated_at}, ${hooked.status}, ${hooked.assignee ?? 'no assignee'})`;
  if (work && lastOperation(store, work, seen.mr) !== seen.look.last_op_ms) return `${CHANGED}: a step or the merge request of ${work.bead.id} was updated`;
  return null;
}

const beadChanged = (before: Bead, now: Bead): boolean => now.updated_at !== before.updated_at || now.status !== before.status || (now.assignee ?? '') !== (before.assignee ?? '');

/**
 * Writes metadata.witness on the hooked bead, in one transaction that first checks the bead is as the
 * decision saw it; false (nothing written) when it is not. The commit point of nudge, restart and release.
 */
function recordOnBead(store: BeadStore, actor: string, before: Bead, last: WitnessMeta['last'], next: (meta: WitnessMeta) => WitnessMeta, extra: { status?: string; assignee?: string; metadata?: Record<string, unknown>; label?: string } = {}): boolean {
  return store.transaction(actor, (tx) => {
    const bead = tx.get(before.id);
    if (beadChanged(before, bead)) return false;
    const { metadata, label, ...fields } = extra;
    tx.set(bead.id, { ...fields, metadata: { ...(bead.metadata ?? {}), ...metadata, [WITNESS_KEY]: { ...next(witnessMeta(bead)), last } } });
    if (label) tx.addLabel(bead.id, label);
    return true;
  });
}

interface PatrolContext {
  town: Town;
  rig: string;
  store: BeadStore;
  settings: RigSettings;
  options: PatrolOptions;
  actor: string;
  now: number;
  gc?: GcResult;
}

function escalate(ctx: PatrolContext, to: string[], subject: string, body: string): void {
  for (const address of to) {
    try {
      sendMail(ctx.town, ctx.actor, address, subject, body);
    } catch (err) {
      ctx.options.log?.(`[witness] could not mail ${address}: ${(err as Error).message}`);
    }
  }
}

const rescueText = (r: Rescue): string =>
  !r.at_risk.length ? (r.branch && r.pushed ? `no work at risk; its commits kept on ${r.branch}` : 'no work at risk') : r.error ? `work at risk (${r.at_risk.join('; ')}) NOT safe: ${r.error}${r.branch ? `; kept on local branch ${r.branch}` : ''}; the worktree is left as it is` : `work at risk (${r.at_risk.join('; ')}) pushed to ${r.branch}`;

/** Does what the decision says; returns whether it was done and why not. */
function act(ctx: PatrolContext, seen: Seen, d: Decision, finding: PatrolFinding): void {
  const { town, store, actor, now } = ctx;
  const { agent, look } = seen;
  const at = new Date(now).toISOString();
  const last = { kind: d.kind, action: d.action, evidence: d.evidence, at };
  const changed = (): void => {
    finding.done = false;
    finding.reason = CHANGED;
  };
  switch (d.action) {
    case 'nudge': {
      if (!recordOnBead(store, actor, look.bead!, last, (m) => ({ ...m, nudged_at: at, nudged_instance: look.session!.instance }))) return changed();
      const text =
        d.kind === 'stuck_in_done'
          ? `[gt witness] every step of ${look.bead!.id} is closed but no merge request is filed: run gt done`
          : `[gt witness] no progress on ${look.bead!.id} for a while: carry on with your step (gt prime shows it), or run gt done if you are finished`;
      try {
        nudgeAgent(town, agent, text);
        finding.reason = 'nudged (once for this session)';
      } catch (err) {
        finding.reason = `the nudge failed: ${(err as Error).message}`;
      }
      return;
    }
    case 'restart': {
      const restarts = witnessMeta(look.bead).restarts + 1;
      if (!recordOnBead(store, actor, look.bead!, last, (m) => ({ ...m, restarts, last_restart_at: at }))) return changed();
      finding.restarts = restarts;
      const r = launchAgent(town, agent, { tools: ctx.options.tools, restart: true });
      finding.reason = `${r.result} with the hook kept (restart ${restarts} of ${ctx.settings.max_restarts}${r.resumed ? `; resumed ${r.resumed}` : ''})`;
      return;
    }
    case 'release': {
      // the session first: a crash after this line is a session_gone the next patrol finishes releasing
      stopAgents(town, [agent]);
      const rescue = rescueWork(town, agent, now, { keepHead: true });
      finding.rescue = rescue;
      const restarts = witnessMeta(look.bead).restarts;
      const released = recordOnBead(store, actor, look.bead!, last, (m) => ({ ...m, restarts: 0, releases: (m.releases ?? 0) + 1, released_at: at }), { status: 'open', assignee: '', ...releaseMarks(look.bead!, agent, restarts, rescue, at) });
      if (!released) {
        finding.done = false;
        finding.reason = `${CHANGED} (its session was stopped; ${rescueText(rescue)})`;
        return;
      }
      finding.restarts = 0;
      finding.reason = `released after ${restarts} restart(s): bead open, unassigned and labelled released, closed steps kept, session stopped; ${rescueText(rescue)}`;
      escalate(ctx, ['mayor', 'overseer'], `Released ${look.bead!.id} from ${agent.address} after ${restarts} restart(s)`, `The witness of ${ctx.rig} released ${look.bead!.id} (${look.bead!.title}) from ${agent.address}: ${d.kind}: ${d.evidence}.\nIts closed steps are kept; it is open and unassigned, labelled released: dispatch passes it over until a person acts. gt sling ${look.bead!.id} ${ctx.rig} continues it at its first open step${rescue.branch ? ` from ${rescue.branch}` : ''} (--fresh starts over); bd label remove ${look.bead!.id} released lets dispatch sling it. ${rescueText(rescue)}. The worktree ${agent.cwd} is kept.`);
      return;
    }
    case 'stop': {
      stopAgents(town, [agent]);
      const rescue = rescueWork(town, agent, now);
      finding.rescue = rescue;
      finding.reason = `session stopped, worktree kept; ${rescueText(rescue)}`;
      if (rescue.error) escalate(ctx, ['overseer'], `Work of ${agent.address} not on any remote`, `The witness of ${ctx.rig} stopped ${agent.address} (${d.evidence}). ${rescueText(rescue)}.`);
      return;
    }
    case 'collect': {
      ctx.gc ??= gcPolecats(town, ctx.rig);
      if (ctx.gc.removed.some((e) => e.address === agent.address)) {
        finding.reason = 'collected by gt polecat gc (session, worktree and branch removed)';
        return;
      }
      const kept = ctx.gc.kept.find((e) => e.address === agent.address);
      // gc read the polecats again: one it did not take as merged any more has changed (slung again) and is left alone
      if (!kept) return changed();
      stopAgents(town, [agent]);
      const rescue = rescueWork(town, agent, now);
      finding.rescue = rescue;
      finding.reason = `kept by gt polecat gc (${kept.reason ?? 'work at risk'}); session stopped, worktree kept; ${rescueText(rescue)}`;
      if (rescue.at_risk.length) escalate(ctx, ['overseer'], `Merged polecat ${agent.address} had more work`, `The witness of ${ctx.rig} stopped ${agent.address}, whose work merged but whose worktree held more: ${rescueText(rescue)}.`);
      return;
    }
  }
}

/** Runs `fn` holding the rig's patrol lock; null when another patrol holds it (at once, or after `timeoutMs`). */
export function underPatrolLock<T>(town: Town, rig: string, fn: () => T, timeoutMs = 0): T | null {
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  let entered = false;
  try {
    return withLock(join(locks, `witness-${rig}.lock`), () => ((entered = true), fn()), { timeoutMs, what: `the witness patrol of ${rig}` });
  } catch (err) {
    if (!entered && err instanceof BeadsError && err.code === 'lock_timeout') return null;
    throw err;
  }
}

/**
 * One patrol of a rig's polecats: each one's problem (with what was seen), and the action taken. A polecat in
 * spawn grace is never acted on; before each action what the decision was made on is read again, and if it
 * changed nothing is done this time. With dryRun, says what it would do and changes nothing.
 */
export function witnessPatrol(town: Town, rig: string, options: PatrolOptions): PatrolResult {
  requireRig(town, rig);
  const dryRun = Boolean(options.dryRun);
  const now = options.now ?? Date.now();
  const log = options.log ?? (() => {});
  const daemon = superviseDaemon(town, { tools: options.tools, actor: options.actor ?? `${rig}/witness`, dryRun, now, log });
  const patrol = (): PatrolResult => {
    // read under the lock: gt down RIG holds the rig, then takes this lock before it stops the polecats
    const held = rigHold(town, rig);
    if (held) {
      log(`[witness] ${rig}: held by ${held.by} since ${held.since}: its polecats are left alone until gt up`);
      return { rig, dry_run: dryRun, held, ...(daemon ? { daemon } : {}), findings: [] };
    }
    const ctx: PatrolContext = { town, rig, store: BeadStore.open(rigPaths(town, rig).store), settings: rigSettings(town, rig), options, actor: options.actor ?? `${rig}/witness`, now };
    const findings: PatrolFinding[] = [];
    for (const seen of lookAtPolecats(town, rig, ctx.store, now, dryRun)) {
      const d = decide(seen.look, ctx.settings, now);
      if (!d) continue;
      if (inSpawnGrace(seen.look, ctx.settings, now)) {
        log(`[witness] ${seen.agent.address}: ${d.kind}, but started ${Math.round((now - seen.look.started_ms) / 1000)}s ago (spawn grace ${ctx.settings.spawn_grace_ms / 1000}s): left alone`);
        continue;
      }
      const finding: PatrolFinding = { polecat: seen.agent.address, bead: seen.look.bead?.id ?? seen.look.closed_bead?.id ?? null, kind: d.kind, evidence: d.evidence, seen: seenOf(seen.look, now), action: d.action, done: false, reason: 'dry run: nothing done' };
      findings.push(finding);
      if (!dryRun) {
        options.beforeAction?.(finding);
        const changed = changedSince(town, ctx.store, seen);
        if (changed) finding.reason = changed;
        else {
          finding.done = true;
          try {
            act(ctx, seen, d, finding);
          } catch (err) {
            finding.done = false;
            finding.reason = `failed: ${(err as Error).message}`;
          }
        }
      }
      log(`[witness] ${finding.polecat}: ${finding.kind} (${finding.evidence}) -> ${finding.action}: ${finding.done ? 'done' : 'not done'}: ${finding.reason}`);
    }
    return { rig, dry_run: dryRun, ...(daemon ? { daemon } : {}), findings };
  };
  // a dry run changes nothing, so it needs no lock
  const result = dryRun ? patrol() : underPatrolLock(town, rig, patrol);
  if (result) return result;
  log(`[witness] ${rig}: another patrol is running; nothing done`);
  return { rig, dry_run: dryRun, busy: true, ...(daemon ? { daemon } : {}), findings: [] };
}
