// What an agent is working on, read from the store: the bead on its hook, the molecule poured under it, and
// the step it is at.
import { BeadStore, listBeads, type Bead } from '@gastown/beads';
import { moleculeStatus, type MoleculeStatus, type StepStatus } from '@gastown/molecules';
import type { Agent } from './agents.js';

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

/** The bead hooked to this agent (status hooked, assignee the agent), with its molecule; null when none. */
export function hookedWork(agent: Agent, store = BeadStore.open(agent.store)): HookedWork | null {
  const bead = listBeads(store, { status: ['hooked'], assignee: agent.address })[0];
  if (!bead) return null;
  const mol = listBeads(store, { parent: bead.id, issue_type: ['molecule'], all: true, limit: 0 }).find((b) => b.dependencies?.some((d) => d.type === 'parent-child' && d.depends_on_id === bead.id));
  if (!mol) return { bead };
  const molecule = moleculeStatus(store, mol.id);
  return { bead, molecule, step: firstOpenStep(molecule.steps) };
}
