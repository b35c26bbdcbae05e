// A bead the witness released (after max_restarts) and its next sling. The release records what it kept
// (metadata.release: the molecule with its closed steps, the branch holding the work, pushed) and labels the bead
// `released`, which dispatch passes over until a person acts. The next gt sling continues it: the same
// molecule, its open steps handed to the new polecat, and the new worktree started from that branch, so
// nothing done is done again and no commit is made twice. A release overtaken by events (a merge request of
// the bead merged or rejected since) is set aside, and the sling starts fresh.
import { BeadsError, hookRefusal, listBeads, type Bead, type BeadStore } from '@gastown/beads';
import { moleculeStatus, type MoleculeStatus, type StepStatus } from '@gastown/molecules';
import { fetchRemote, remoteUrl, revParse } from '../git-cli.js';
import { mqOf, mrMeta } from './done.js';
import { HOOK_MOLECULE_KEY, HOOK_RUNTIME_KEY } from './hook.js';

/** The label a release puts on a bead: dispatch passes it over; a sling (or bd label remove) takes it off. */
export const RELEASED_LABEL = 'released';
/** Where a release is recorded on the bead (metadata.release). */
export const RELEASE_KEY = 'release';

export interface ReleaseRecord {
  at: string;
  /** The polecat it was released from, and the worktree kept there. */
  from: string;
  worktree: string;
  restarts: number;
  /** The molecule poured for it, whose closed steps stay closed. */
  molecule: string | null;
  /** The branch holding its work (null: it had no commits beyond the target), its commit, and the remote it is on (null: not pushed). */
  branch: string | null;
  commit: string | null;
  remote: string | null;
  /** Why its work is on no branch, when the witness could not save it. */
  unsaved?: string;
  /** Written by the next sling: the record is used (continued, or set aside for a fresh start, with why). */
  taken?: { at: string; by: string; how: 'continued' | 'fresh'; why?: string };
}

/** The release recorded on a bead, if any (used or not). */
export function releaseRecord(bead: Bead): ReleaseRecord | null {
  const raw = (bead.metadata as Record<string, unknown> | undefined)?.[RELEASE_KEY] as Partial<ReleaseRecord> | undefined;
  return raw && typeof raw === 'object' && typeof raw.at === 'string' ? (raw as ReleaseRecord) : null;
}

/** The release no sling has used yet. */
export function pendingRelease(bead: Bead): ReleaseRecord | null {
  const record = releaseRecord(bead);
  return record && !record.taken ? record : null;
}

/** What dispatch says of a bead labelled released, and gt status repeats. */
export function releasedReason(bead: Bead, rig: string): string {
  const r = releaseRecord(bead);
  const when = r ? ` at ${r.at} from ${r.from} after ${r.restarts} restart(s)` : '';
  return `released by the witness${when}: a person decides (gt sling ${bead.id} ${rig} continues it${r?.branch ? ` from ${r.branch}` : ''}; bd label remove ${bead.id} ${RELEASED_LABEL} lets dispatch sling it)`;
}

export interface Continuation {
  record: ReleaseRecord;
  molecule: MoleculeStatus;
  /** Where the new worktree starts: the branch's ref and commit; null: the clone's HEAD (the release kept no commits). */
  start: { ref: string; commit: string } | null;
}

/** A merge request of the bead that merged or was rejected after `since`: the release is overtaken by it. */
function closedSince(store: BeadStore, bead: Bead, since: string): Bead | undefined {
  return listBeads(store, { issue_type: ['merge-request'], status: ['closed'], all: true, limit: 0 }).find(
    (mr) => mrMeta(mr)?.source_bead === bead.id && (mr.closed_at ?? '') > since && ['merged', 'rejected'].includes(mqOf(mr).state),
  );
}

/** The released molecule, when it is still the bead's (not deleted, still under it). */
function releasedMolecule(store: BeadStore, bead: Bead, id: string | null): MoleculeStatus | null {
  if (!id) return null;
  try {
    const mol = store.get(id);
    const under = (mol.dependencies ?? []).some((d) => d.type === 'parent-child' && d.depends_on_id === bead.id);
    if (mol.issue_type !== 'molecule' || mol.status === 'tombstone' || !under) return null;
  } catch (err) {
    if (err instanceof BeadsError && err.code === 'not_found') return null;
    throw err;
  }
  return moleculeStatus(store, id, { timings: false });
}

/**
 * What the next sling does with a bead's pending release: continue it (the molecule, and where the worktree
 * starts), or start fresh and why; null when the bead has no pending release. A continuation whose work cannot
 * be found (its branch on neither the remote nor the clone) is refused, naming `--fresh`: continuing without
 * it would leave closed steps whose work is nowhere.
 */
export function planRelease(store: BeadStore, bead: Bead, clone: string, options: { fresh?: boolean; molecule?: string }): { continuation: Continuation } | { fresh: string } | null {
  const record = pendingRelease(bead);
  if (!record) return null;
  if (options.fresh) return { fresh: 'gt sling --fresh' };
  const closed = closedSince(store, bead, record.at);
  if (closed) return { fresh: `its merge request ${closed.id} was ${mqOf(closed).state} after the release` };
  const molecule = releasedMolecule(store, bead, record.molecule);
  if (!molecule) return { fresh: `its molecule ${record.molecule ?? '(none recorded)'} is gone` };
  if (options.molecule && options.molecule !== molecule.molecule) {
    throw new BeadsError('invalid_input', `${bead.id} was released with molecule ${molecule.molecule} (${molecule.done}/${molecule.total} steps closed), which gt sling continues; --molecule ${options.molecule} would start over: add --fresh for that`, { id: bead.id, molecule: molecule.molecule });
  }
  if (!record.branch) {
    if (record.unsaved) throw new BeadsError('conflict', `the work of ${bead.id}'s earlier attempt is only in ${record.worktree} (the witness could not save it: ${record.unsaved}); push it to a branch, or sling with --fresh to start over`, { id: bead.id });
    return { continuation: { record, molecule, start: null } };
  }
  // the branch as the remote has it now (another town may have released it); what the clone knows, if the fetch fails
  if (remoteUrl(clone, 'origin')) {
    try {
      fetchRemote(clone, 'origin');
    } catch {
      /* the remote-tracking ref of the witness's own push is enough */
    }
  }
  for (const ref of [`refs/remotes/origin/${record.branch}`, `refs/heads/${record.branch}`]) {
    const commit = revParse(clone, ref);
    if (commit) return { continuation: { record, molecule, start: { ref, commit } } };
  }
  throw new BeadsError('conflict', `the work of ${bead.id}'s earlier attempt was kept on ${record.branch}, which neither origin nor the rig's clone has; fetch it, or sling with --fresh to start over`, { id: bead.id, branch: record.branch });
}

const flat = (steps: StepStatus[]): StepStatus[] => steps.flatMap((s) => [s, ...flat(s.children)]);

/** What continueRelease changed on the molecule's beads, so a sling that fails after it can put them back. */
export type Handover = { id: string; status: string; assignee: string }[];

/**
 * Hooks a released bead to the new polecat as one write decided under the store's lock: the bead hooked with
 * the released molecule (and the runtime) on its hook, the release marked used, and the molecule's open steps
 * (an abandoned claim among them, back to open) assigned to the polecat. Refused when the bead cannot be
 * hooked, or when its release changed meanwhile (another sling used it).
 */
export function continueRelease(store: BeadStore, actor: string, c: Continuation, beadId: string, address: string, runtime: string): Handover {
  return store.transaction(actor, (tx) => {
    const bead = tx.get(beadId);
    const refusal = hookRefusal(bead, address);
    if (refusal) throw refusal;
    const record = pendingRelease(bead);
    if (!record || record.at !== c.record.at) throw new BeadsError('conflict', `${bead.id}'s release was used by another sling meanwhile`, { id: bead.id });
    const taken = { at: store.nowIso(), by: address, how: 'continued' as const };
    tx.set(bead.id, { status: 'hooked', assignee: address, metadata: { ...(bead.metadata ?? {}), [HOOK_MOLECULE_KEY]: c.molecule.id, [HOOK_RUNTIME_KEY]: runtime, [RELEASE_KEY]: { ...record, taken } } });
    const before: Handover = [];
    for (const id of [c.molecule.id, ...flat(c.molecule.steps).map((s) => s.id)]) {
      const step = tx.get(id);
      if (step.status === 'closed' || step.status === 'tombstone') continue;
      before.push({ id, status: step.status, assignee: step.assignee ?? '' });
      tx.set(id, { assignee: address, ...(step.status === 'in_progress' || step.status === 'hooked' ? { status: 'open' } : {}) });
    }
    return before;
  });
}

/** Puts back what continueRelease changed on the molecule's beads (a sling undoing itself). */
export function undoHandover(store: BeadStore, actor: string, handover: Handover): void {
  if (!handover.length) return;
  store.transaction(actor, (tx) => {
    for (const h of handover) tx.set(h.id, { status: h.status, assignee: h.assignee });
  });
}
