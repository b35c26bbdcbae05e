// What an agent is working on, read from the store: the bead on its hook, the molecule poured under it, and
// the step it is at.
import { BeadStore, BeadsError, listBeads, type Bead } from '@gastown/beads';
import { moleculeStatus, type MoleculeStatus, type StepStatus } from '@gastown/molecules';
import type { Agent } from '../model.js';

export interface HookedWork {
  bead: Bead;
  molecule?: MoleculeStatus;
  /** The first step, in order, that is not closed. */
  step?: StepStatus;
}

function firstOpenStep(steps: StepStatus[]): StepStatus | undefined {
  for (const s of steps) {
    if (s.status === 'closed') continue;
    return s.children.length ? (firstOpenStep(s.children) ?? s) : s;
  }
  return undefined;
}

/** Where gt sling records the molecule it poured under a bead, so that finding it needs no scan of the store. */
export const HOOK_MOLECULE_KEY = 'hook_molecule';
/** Where gt sling records the runtime the polecat was started with, so that gt up resumes it with the same. */
export const HOOK_RUNTIME_KEY = 'hook_runtime';

/** The runtime recorded on a hooked bead, if any. */
export function hookRuntime(bead: Bead): string | undefined {
  const value = (bead.metadata as Record<string, unknown> | undefined)?.[HOOK_RUNTIME_KEY];
  return typeof value === 'string' ? value : undefined;
}

const moleculeOf = (bead: Bead) => (b: Bead): boolean =>
  b.issue_type === 'molecule' && b.status !== 'tombstone' && (b.dependencies ?? []).some((d) => d.type === 'parent-child' && d.depends_on_id === bead.id);

/**
 * The molecule poured under a hooked bead: the one gt sling recorded on it; else one not closed (the small hot
 * index); else any (every shard: slow on a large store, and only for beads hooked by other means).
 */
function moleculeUnder(store: BeadStore, bead: Bead): Bead | undefined {
  const isMine = moleculeOf(bead);
  const recorded = (bead.metadata as Record<string, unknown> | undefined)?.[HOOK_MOLECULE_KEY];
  if (typeof recorded === 'string') {
    try {
      const mol = store.get(recorded);
      if (isMine(mol)) return mol;
    } catch (err) {
      // gone or never there: look for it
      if (!(err instanceof BeadsError) || (err.code !== 'not_found' && err.code !== 'ambiguous_id')) throw err;
    }
  }
  return listBeads(store, { parent: bead.id, issue_type: ['molecule'], limit: 0 }).find(isMine) ?? listBeads(store, { parent: bead.id, issue_type: ['molecule'], all: true, limit: 0 }).find(isMine);
}

/** The bead hooked to this agent (status hooked, assignee the agent), with its molecule; null when none. */
export function hookedWork(agent: Agent, store = BeadStore.open(agent.store)): HookedWork | null {
  const bead = listBeads(store, { status: ['hooked'], assignee: agent.address })[0];
  if (!bead) return null;
  const mol = moleculeUnder(store, bead);
  if (!mol) return { bead };
  const molecule = moleculeStatus(store, mol.id, { timings: false }); // step timings read the whole log
  return { bead, molecule, step: firstOpenStep(molecule.steps) };
}
