// Closing a step: its gates run first (in the caller's directory, with a timeout, as shell-run.ts runs them)
// and each run is recorded in the bead's history: command, exit code, duration and the tail of its output. A
// failing gate refuses the close; `force` with a reason overrides, and is recorded as such. Closing the last
// open bead under a molecule closes the molecule too, with a summary, and so on up.
import { BeadsError, openDescendants, type Bead, type BeadStore, type CacheReader, type OpDraft } from '@gastown/beads';
import { runShell } from './shell-run.js';
import { stepCount } from './status.js';

export interface GateRun {
  command: string;
  exit_code: number | null;
  duration_ms: number;
  /** The last lines of stdout and stderr together. */
  output: string;
  passed: boolean;
  timed_out?: boolean;
}

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

const TAIL_LINES = 20;
const TAIL_CHARS = 4000;
export const DEFAULT_GATE_TIMEOUT_MS = 600_000;

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  const kept = lines.slice(-TAIL_LINES).join('\n');
  return kept.length > TAIL_CHARS ? kept.slice(-TAIL_CHARS) : kept;
}

/**
 * Runs one gate with `sh -c` until its shell exits (not until whatever it started in the background does); what
 * it leaves running is ended, and on a timeout everything it started is killed.
 */
export function runGate(command: string, cwd: string, timeoutMs: number): GateRun {
  const r = runShell(['sh', '-c', command], { cwd, timeoutMs });
  const output = tail(`${r.output}${r.timedOut ? `\n(gate timed out after ${timeoutMs} ms)` : ''}`);
  return { command, exit_code: r.exitCode, duration_ms: r.durationMs, output, passed: r.exitCode === 0 && !r.timedOut, ...(r.timedOut ? { timed_out: true } : {}) };
}

function gatesOf(bead: Bead): string[] {
  const gates = (bead.metadata as { gates?: unknown } | undefined)?.gates;
  return Array.isArray(gates) ? gates.map(String) : [];
}

/** Molecule beads above `id` that close along with it: every bead under them is closed or closing. */
function moleculesClosingWith(view: CacheReader, id: string): string[] {
  const closing = new Set([id]);
  const out: string[] = [];
  let current = view.state(id);
  for (let depth = 0; current && depth < 100; depth++) {
    const parentId = current.bead.dependencies?.find((d) => d.type === 'parent-child')?.depends_on_id;
    const parent = parentId ? view.state(parentId) : undefined;
    if (!parent || parent.bead.issue_type !== 'molecule' || parent.bead.status === 'closed' || parent.bead.status === 'tombstone') break;
    if (openDescendants(view, parent.bead.id).some((d) => !closing.has(d))) break;
    closing.add(parent.bead.id);
    out.push(parent.bead.id);
    current = parent;
  }
  return out;
}

export function closeStep(store: BeadStore, actor: string, idInput: string, options: CloseOptions = {}): CloseResult {
  if (options.force && !options.reason?.trim()) throw new BeadsError('invalid_input', '--force needs --reason: say why the gates are overridden');
  const timeoutMs = options.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new BeadsError('invalid_input', 'the gate timeout must be more than 0 (give --gate-timeout a duration such as 30s or 10m)', { gate_timeout_ms: timeoutMs });
  const id = store.resolveId(idInput);
  const bead = store.get(id);
  if (bead.status === 'closed') throw new BeadsError('conflict', `${id} is already closed`, { id });
  if (bead.status === 'tombstone') throw new BeadsError('not_found', `${id} was deleted`, { id });
  const gates = gatesOf(bead);
  const runs: GateRun[] = [];
  if (!options.force) {
    for (const command of gates) {
      const run = runGate(command, options.cwd ?? process.cwd(), timeoutMs);
      runs.push(run);
      if (!run.passed) break;
    }
  }
  const failed = runs.find((r) => !r.passed);
  const { result } = store.write<string[]>(actor, (view) => {
    const state = view.state(id)!;
    const ops: OpDraft[] = runs.map((r) => ({ bead: state.logId, origin: state.origin, kind: 'gate', ...r }));
    if (options.force && gates.length) ops.push({ bead: state.logId, origin: state.origin, kind: 'gate', command: gates.join(' && '), forced: true, reason: options.reason!, passed: false });
    if (failed) return { ops, result: [] };
    if (state.bead.status === 'closed') throw new BeadsError('conflict', `${id} is already closed`, { id });
    ops.push({ bead: state.logId, origin: state.origin, kind: 'close', ...(options.reason ? { reason: options.reason } : {}) });
    const molecules = moleculesClosingWith(view, id);
    for (const m of molecules) {
      const ms = view.state(m)!;
      const steps = (ms.bead.metadata as { steps?: { path: string }[] } | undefined)?.steps;
      const total = steps ? stepCount(steps) : undefined;
      ops.push({ bead: ms.logId, origin: ms.origin, kind: 'close', reason: total === undefined ? 'all steps closed' : `all ${total} step${total === 1 ? '' : 's'} closed` });
    }
    return { ops, result: molecules };
  });
  if (failed) {
    throw new BeadsError('gate_failed', `gate failed, ${id} stays open: ${failed.command} (exit ${failed.exit_code ?? 'none'}${failed.timed_out ? ', timed out' : ''})\n${failed.output}`, { id, gate: failed });
  }
  return { bead: store.get(id), gates: runs, alsoClosed: result ?? [] };
}

