// History: the operations of beads, read from the log's files (only the lines that name them are parsed), each
// bead's in the store's total order (lc, then op_id: the order the fold applies them in). `bd history` and the
// upper layers (a molecule's step timings, a merge request's gate runs) read it here, never the log's lines.
import { compareOps } from './fold.js';
import { opsOfIds } from './log-files.js';
import { resolveIdIn, type BeadStore } from './store.js';
import type { Op } from './types.js';

export interface HistoryOptions {
  /** Only operations of these kinds (`claim`, `gate`, ...); every kind when absent. */
  kinds?: readonly string[];
}

/**
 * The history of each bead given (a full id or a unique prefix; deleted beads too), keyed by its full id.
 * Operations of another bead that once had the same id (created apart on another clone) are not its own.
 */
export function historyOf(store: BeadStore, inputs: readonly string[], options: HistoryOptions = {}): Map<string, Op[]> {
  const states = store.read((view) => inputs.map((input) => view.state(resolveIdIn(view, store.idPrefix, input))!));
  const byLogId = opsOfIds(store.dir, new Set(states.map((s) => s.logId)));
  const kinds = options.kinds ? new Set(options.kinds) : null;
  const out = new Map<string, Op[]>();
  for (const state of states) {
    const own = (byLogId.get(state.logId) ?? []).filter((op) => (op.kind === 'create' ? op.op_id === state.origin : op.origin === undefined || op.origin === state.origin));
    out.set(state.bead.id, own.filter((op) => !kinds || kinds.has(op.kind)).sort(compareOps));
  }
  return out;
}

/** The operations of one bead in the store's total order: who did what, when. */
export function beadHistory(store: BeadStore, input: string, options: HistoryOptions = {}): Op[] {
  return [...historyOf(store, [input], options).values()][0]!;
}
