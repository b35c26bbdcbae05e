// Closing steps. A step's gates run first (gate-run.ts) and each run is recorded in the bead's history; a failing
// gate refuses the close, and `force` with a reason overrides, recorded as such. Several steps close all or
// nothing: every gate of every step runs first, in the order given, and only when all pass do the steps close,
// in one locked write per store that checks again, under the lock, that none was closed, deleted or given other
// gates while the gates ran. Closing the last open bead under a molecule closes the molecule too, with a
// summary, and so on up.
import { BeadsError, assertNoControl, openDescendants, type Bead, type BeadStore, type CacheReader, type Transaction } from '@gastown/beads';
import { DEFAULT_GATE_TIMEOUT_MS, runGate, type GateRun } from './gate-run.js';
import { stepCount } from './status.js';

export interface CloseOptions {
  reason?: string;
  /** Close even though a gate fails (or without running gates); needs a reason. */
  force?: boolean;
  /** Where gates run (default: the current directory). */
  cwd?: string;
  gateTimeoutMs?: number;
}

export interface CloseResult {
  bead: Bead;
  gates: GateRun[];
  /** Molecules that closed because this was their last open step. */
  alsoClosed: string[];
}

/** A bead to close: its store (this rig's, the wisps', another rig's) and its id or a unique prefix. */
export interface CloseTarget {
  store: BeadStore;
  id: string;
}

/** A target resolved, with the gates it had when they ran and their runs. */
interface Planned {
  store: BeadStore;
  id: string;
  gates: string[];
  runs: GateRun[];
}

function gatesOf(bead: Bead): string[] {
  const gates = (bead.metadata as { gates?: unknown } | undefined)?.gates;
  return Array.isArray(gates) ? gates.map(String) : [];
}

/**
 * Molecule beads above `id` that close along with it: every bead under them is in `closing` (the beads closed so
 * far, in the order given, with the molecules they completed; it grows). One in `given` closes as given.
 */
function moleculesClosingWith(view: CacheReader, id: string, closing: Set<string>, given: Set<string>): string[] {
  const out: string[] = [];
  let current = view.state(id);
  for (let depth = 0; current && depth < 100; depth++) {
    const parentId = current.bead.dependencies?.find((d) => d.type === 'parent-child')?.depends_on_id;
    const parent = parentId ? view.state(parentId) : undefined;
    if (!parent || parent.bead.issue_type !== 'molecule' || given.has(parent.bead.id) || closing.has(parent.bead.id) || parent.bead.status === 'closed' || parent.bead.status === 'tombstone') break;
    if (openDescendants(view, parent.bead.id).some((d) => !closing.has(d))) break;
    closing.add(parent.bead.id);
    out.push(parent.bead.id);
    current = parent;
  }
  return out;
}

/** Closes a molecule that its last step completes, saying how many steps closed. */
function closeMolecule(tx: Transaction, id: string): void {
  const steps = (tx.state(id)!.bead.metadata as { steps?: { path: string }[] } | undefined)?.steps;
  const total = steps ? stepCount(steps) : undefined;
  tx.close(id, total === undefined ? 'all steps closed' : `all ${total} step${total === 1 ? '' : 's'} closed`);
}

/** The gate timeout, once the options are known to make sense. */
function checkedTimeout(options: CloseOptions): number {
  if (options.force && !options.reason?.trim()) throw new BeadsError('invalid_input', '--force needs --reason: say why the gates are overridden');
  if (options.reason) assertNoControl(options.reason, 'reason', 'text');
  const timeoutMs = options.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new BeadsError('invalid_input', 'the gate timeout must be more than 0 (give --gate-timeout a duration such as 30s or 10m)', { gate_timeout_ms: timeoutMs });
  return timeoutMs;
}

/** Every target resolved and open (not closed, not deleted), in order; one given twice counts once. */
function resolveTargets(targets: CloseTarget[]): Planned[] {
  const planned: Planned[] = [];
  for (const { store, id: input } of targets) {
    const id = store.resolveId(input);
    const bead = store.get(id);
    if (bead.status === 'closed') throw new BeadsError('conflict', `${id} is already closed`, { id });
    if (bead.status === 'tombstone') throw new BeadsError('not_found', `${id} was deleted`, { id });
    if (!planned.some((p) => p.id === id && p.store.dir === store.dir)) planned.push({ store, id, gates: gatesOf(bead), runs: [] });
  }
  return planned;
}

/** Runs each step's gates in order, recording the runs in `planned`; the first that fails stops them all. */
function runAllGates(planned: Planned[], cwd: string, timeoutMs: number): { step: Planned; run: GateRun } | undefined {
  for (const step of planned) {
    for (const command of step.gates) {
      const run = runGate(command, cwd, timeoutMs);
      step.runs.push(run);
      if (!run.passed) return { step, run };
    }
  }
  return undefined;
}

function byStore(planned: Planned[]): Planned[][] {
  const groups = new Map<string, Planned[]>();
  for (const p of planned) groups.set(p.store.dir, [...(groups.get(p.store.dir) ?? []), p]);
  return [...groups.values()];
}

/** The conflict when a step changed, since it was checked, in a way that matters to its close; else null. */
function changedMeanwhile(view: CacheReader, step: Planned, force: boolean, when: string): BeadsError | null {
  const bead = view.state(step.id)?.bead;
  const what = !bead || bead.status === 'tombstone' ? 'deleted' : bead.status === 'closed' ? 'closed' : !force && JSON.stringify(gatesOf(bead)) !== JSON.stringify(step.gates) ? 'given other gates' : null;
  return what ? new BeadsError('conflict', `${step.id} was ${what} ${when}; nothing is closed`, { id: step.id }) : null;
}

/** The gate runs of a step, recorded in its history. */
function recordRuns(tx: Transaction, step: Planned): void {
  for (const run of step.runs) tx.record(step.id, 'gate', { ...run });
}

/**
 * One store's part of the close, decided under its lock: the steps, their gate runs, the molecules they
 * complete. Returns, for each step in order, the molecules its close completes.
 */
function closeInTransaction(tx: Transaction, group: Planned[], options: CloseOptions, when: string): string[][] {
  const view = tx.view;
  for (const step of group) {
    const conflict = changedMeanwhile(view, step, Boolean(options.force), when);
    if (conflict) throw conflict;
  }
  for (const step of group) {
    recordRuns(tx, step);
    const gates = gatesOf(view.state(step.id)!.bead);
    if (options.force && gates.length) tx.record(step.id, 'gate', { command: gates.join(' && '), forced: true, reason: options.reason!, passed: false });
    tx.close(step.id, options.reason || undefined);
  }
  // each molecule is reported with the step, in the order given, whose close completes it
  const given = new Set(group.map((s) => s.id));
  const closing = new Set<string>();
  const alsoClosed = group.map((step) => moleculesClosingWith(view, step.id, closing.add(step.id), given));
  for (const m of alsoClosed.flat()) closeMolecule(tx, m);
  return alsoClosed;
}

/** Records the gate runs of a close that a gate refused (one write per store), and the refusal to throw. */
function refuse(actor: string, planned: Planned[], failed: { step: Planned; run: GateRun }): BeadsError {
  for (const group of byStore(planned)) {
    group[0]!.store.transaction(actor, (tx) => {
      for (const step of group) if (tx.state(step.id)) recordRuns(tx, step);
    });
  }
  const { step, run } = failed;
  const what = `${run.command} (exit ${run.exit_code ?? 'none'}${run.timed_out ? ', timed out' : ''})\n${run.output}`;
  if (planned.length === 1) return new BeadsError('gate_failed', `gate failed, ${step.id} stays open: ${what}`, { id: step.id, gate: run });
  return new BeadsError('gate_failed', `gate failed on ${step.id}, so none of the ${planned.length} beads closes: ${what}`, { id: step.id, gate: run, ids: planned.map((p) => p.id) });
}

/**
 * Closes steps all or nothing: each is checked, then every gate of every step runs (unless forced), and only
 * when all pass do they close, one locked write per store. The results are in the order given.
 */
export function closeSteps(actor: string, targets: CloseTarget[], options: CloseOptions = {}): CloseResult[] {
  const timeoutMs = checkedTimeout(options);
  const planned = resolveTargets(targets);
  const failed = options.force ? undefined : runAllGates(planned, options.cwd ?? process.cwd(), timeoutMs);
  if (failed) throw refuse(actor, planned, failed);
  const when = planned.some((p) => p.runs.length) ? 'while the gates ran' : 'meanwhile';
  const groups = byStore(planned);
  // stores cannot be locked together: each is checked before the first is written
  if (groups.length > 1) for (const group of groups) group[0]!.store.transaction(actor, (tx) => closeInTransaction(tx, group, options, when), { dryRun: true });
  const alsoClosed = new Map<Planned, string[]>();
  for (const group of groups) {
    const result = group[0]!.store.transaction(actor, (tx) => closeInTransaction(tx, group, options, when));
    group.forEach((step, i) => alsoClosed.set(step, result[i]!));
  }
  return planned.map((step) => ({ bead: step.store.get(step.id), gates: step.runs, alsoClosed: alsoClosed.get(step)! }));
}

export function closeStep(store: BeadStore, actor: string, idInput: string, options: CloseOptions = {}): CloseResult {
  return closeSteps(actor, [{ store, id: idInput }], options)[0]!;
}
