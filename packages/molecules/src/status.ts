// The state of a poured molecule: its steps as a tree, each with status, assignee and how long it took
// (from its first claim, else its creation, to its close), and x/y closed.
import { BeadsError, type Bead, type BeadStore } from '@gastown/beads';

export interface StepStatus {
  id: string;
  step: string;
  title: string;
  status: string;
  assignee?: string;
  /** Milliseconds from first claim (else creation) to close; absent while open. */
  took_ms?: number;
  children: StepStatus[];
}

export interface MoleculeStatus {
  id: string;
  title: string;
  molecule: string;
  status: string;
  done: number;
  total: number;
  steps: StepStatus[];
}

interface StepRef {
  path: string;
  id: string;
}

/**
 * The steps that are work: every step bead but the molecule beads of steps that expand another molecule (they
 * only hold that molecule's steps). What pour, sling, status and close count as a molecule's steps.
 */
export function workSteps<T extends { path: string }>(steps: T[]): T[] {
  const holders = new Set(steps.map((s) => s.path.slice(0, Math.max(0, s.path.lastIndexOf('/')))));
  return steps.filter((s) => !holders.has(s.path));
}

export const stepCount = (steps: { path: string }[]): number => workSteps(steps).length;

/** First claim time of each bead (the earliest by time: clones' clocks need not agree with the total order). */
function claimTimes(store: BeadStore, ids: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, claims] of store.historyOf(ids, { kinds: ['claim'] })) {
    for (const op of claims) if (!out.has(id) || Date.parse(op.ts) < Date.parse(out.get(id)!)) out.set(id, op.ts);
  }
  return out;
}

export interface StatusOptions {
  /** How long each closed step took (from its first claim): reads the whole log. Default true. */
  timings?: boolean;
}

export function moleculeStatus(store: BeadStore, idInput: string, options: StatusOptions = {}): MoleculeStatus {
  const root = store.get(idInput);
  const meta = root.metadata as { molecule?: string; steps?: StepRef[] } | undefined;
  if (root.issue_type !== 'molecule' || !meta?.steps) throw new BeadsError('invalid_input', `${root.id} is not a poured molecule`, { id: root.id });
  const beads = new Map<string, Bead>();
  // through store.read, so a cache deleted under the read falls back to a fold in memory
  store.read((view) => {
    for (const s of meta.steps!) {
      const state = view.state(s.id);
      if (!state) continue;
      beads.set(s.path, state.bead);
    }
  });
  const claims = options.timings === false ? null : claimTimes(store, [...beads.values()].map((b) => b.id));
  const nodes = new Map<string, StepStatus>();
  const top: StepStatus[] = [];
  for (const s of meta.steps) {
    const bead = beads.get(s.path);
    if (!bead) continue;
    const start = claims?.get(bead.id) ?? bead.created_at;
    const node: StepStatus = {
      id: bead.id,
      step: s.path,
      title: bead.title,
      status: bead.status,
      ...(bead.assignee ? { assignee: bead.assignee } : {}),
      ...(claims && bead.closed_at ? { took_ms: Math.max(0, Date.parse(bead.closed_at) - Date.parse(start)) } : {}),
      children: [],
    };
    nodes.set(s.path, node);
    const parentPath = s.path.includes('/') ? s.path.slice(0, s.path.lastIndexOf('/')) : undefined;
    (parentPath !== undefined ? nodes.get(parentPath)?.children : undefined)?.push(node) ?? (parentPath === undefined ? top.push(node) : undefined);
  }
  const work = workSteps(meta.steps.filter((s) => nodes.has(s.path))).map((s) => nodes.get(s.path)!);
  return {
    id: root.id,
    title: root.title,
    molecule: meta.molecule ?? '',
    status: root.status,
    done: work.filter((n) => n.status === 'closed').length,
    total: work.length,
    steps: top,
  };
}
