import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, createBead, hookBead, initStore, updateBead } from '@gastown/beads';
import { closeStep, pourMolecule } from '@gastown/molecules';
import type { Agent } from '../model.js';
import { HOOK_MOLECULE_KEY, hookedWork } from './hook.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'gastown-work-'));
  roots.push(root);
  execFileSync('git', ['init', '-q', root]);
  const { dir } = initStore(root, 'al');
  const store = BeadStore.open(dir);
  const agent = { role: 'polecat', rig: 'alpha', name: 'nux', address: 'alpha/polecats/nux', session: 's', cwd: root, store: dir } as Agent;
  const bead = createBead(store, 'tester', { title: 'the work' });
  hookBead(store, 'tester', bead.id, agent.address);
  const poured = pourMolecule(store, 'tester', 'engineer-in-box', { catalog: { rigRoot: root }, parent: bead.id, assignee: agent.address });
  return { root, store, agent, bead, poured };
}

const record = (store: BeadStore, bead: string, molecule: string): void => {
  updateBead(store, 'tester', bead, { metadata: { [HOOK_MOLECULE_KEY]: molecule } });
};

describe('hookedWork', () => {
  it('finds the molecule under the hooked bead, open or closed, recorded on the bead or not', () => {
    const { store, agent, bead, poured } = setup();
    const mol = poured.molecule.id;
    // not recorded (a bead hooked by other means): found among the open beads
    expect(hookedWork(agent, store)).toMatchObject({ bead: { id: bead.id }, molecule: { id: mol, done: 0, total: 4 }, step: { step: 'design' } });
    for (const step of poured.steps) closeStep(store, agent.address, step.id);
    expect(store.get(mol).status).toBe('closed');
    // closed: found all the same (through every shard)
    expect(hookedWork(agent, store)).toMatchObject({ molecule: { id: mol, done: 4, total: 4 } });
    expect(hookedWork(agent, store)!.step).toBeUndefined();
    // step timings (which read the whole log) are not worked out
    expect(hookedWork(agent, store)!.molecule!.steps.every((st) => st.took_ms === undefined)).toBe(true);
    // recorded: used as it is
    record(store, bead.id, mol);
    expect(hookedWork(agent, store)!.molecule!.id).toBe(mol);
  });

  it('ignores a record that names no molecule of this bead, and finds the right one', () => {
    const { root, store, agent, bead, poured } = setup();
    const other = createBead(store, 'tester', { title: 'other work' });
    const foreign = pourMolecule(store, 'tester', 'engineer-in-box', { catalog: { rigRoot: root }, parent: other.id });
    for (const wrong of ['al-zzzzzzzz', foreign.molecule.id, other.id]) {
      record(store, bead.id, wrong);
      expect(hookedWork(agent, store)!.molecule!.id).toBe(poured.molecule.id);
    }
  });

  it('is null when nothing is hooked to the agent', () => {
    const { store, agent } = setup();
    expect(hookedWork({ ...agent, address: 'alpha/polecats/slit' }, store)).toBeNull();
  });
});
