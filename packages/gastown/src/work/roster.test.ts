import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, BeadsError, createBead, hookBead, updateBead } from '@gastown/beads';
import { closeStep, pourMolecule } from '@gastown/molecules';
import { agentFor, startAgent, stopAgents, townSessions } from '../agents/index.js';
import { TOWN_FILE, type Town } from '../model.js';
import { readTown, rigPaths, writeJsonAtomic } from '../town/index.js';
import { testTowns } from '../town/test-town.js';
import { HOOK_MOLECULE_KEY, HOOK_RUNTIME_KEY } from './hook.js';
import { agentRows, upPlan } from './roster.js';

const { town: newTown } = testTowns(afterEach);
const tools = { node: process.execPath, gt: '/nowhere/gt.mjs', bd: '/nowhere/bd.mjs' };

// GT_RUNTIME would override every runtime the town chooses
const saved = process.env.GT_RUNTIME;
beforeEach(() => {
  delete process.env.GT_RUNTIME;
});
afterEach(() => {
  if (saved !== undefined) process.env.GT_RUNTIME = saved;
});

/** What `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
}

/**
 * A town with rigs alpha and beta; alpha has polecats nux (work hooked, with a poured molecule, slung with the
 * runtime "slung") and slit (nothing hooked). Runtimes are long sleeps, so a session started stays running.
 */
function setup(): { town: Town; bead: string; molecule: string; steps: string[] } {
  let town = newTown({ alpha: 'al', beta: 'be' });
  const config = JSON.parse(readFileSync(join(town.root, TOWN_FILE), 'utf8'));
  config.runtimes = { default: 'sleeper', roles: { witness: 'watcher' }, commands: { sleeper: 'sleep 600', watcher: 'sleep 601', slung: 'sleep 602' } };
  writeJsonAtomic(join(town.root, TOWN_FILE), config);
  town = readTown(town.root);
  for (const name of ['slit', 'nux']) mkdirSync(join(rigPaths(town, 'alpha').polecats, name));
  const nux = agentFor(town, 'polecat', 'alpha', 'nux');
  const store = BeadStore.open(nux.store);
  const bead = createBead(store, 'tester', { title: 'the work' }).id;
  const poured = pourMolecule(store, 'tester', 'engineer-in-box', { catalog: { rigRoot: rigPaths(town, 'alpha').clone }, parent: bead, assignee: nux.address });
  hookBead(store, 'tester', bead, nux.address, { [HOOK_MOLECULE_KEY]: poured.molecule.id, [HOOK_RUNTIME_KEY]: 'slung' });
  return { town, bead, molecule: poured.molecule.id, steps: poured.steps.map((s) => s.id) };
}

describe('agentRows', () => {
  it('lists every agent in order with its session state and what is on its hook', () => {
    const { town, bead, molecule, steps } = setup();
    const rows = agentRows(town);
    expect(rows.map((r) => [r.address, r.role, r.rig])).toEqual([
      ['mayor', 'mayor', null],
      ['alpha/witness', 'witness', 'alpha'],
      ['alpha/refinery', 'refinery', 'alpha'],
      ['alpha/polecats/nux', 'polecat', 'alpha'],
      ['alpha/polecats/slit', 'polecat', 'alpha'],
      ['beta/witness', 'witness', 'beta'],
      ['beta/refinery', 'refinery', 'beta'],
    ]);
    // nothing is running yet
    expect(rows.every((r) => r.state === 'absent' && r.pid === null && r.idle_s === null)).toBe(true);
    expect(rows.find((r) => r.address === 'alpha/polecats/nux')).toEqual({
      address: 'alpha/polecats/nux',
      role: 'polecat',
      rig: 'alpha',
      session: agentFor(town, 'polecat', 'alpha', 'nux').session,
      state: 'absent',
      pid: null,
      hooked: bead,
      molecule,
      step: `design (${steps[0]})`,
      progress: '0/4',
      idle_s: null,
    });
    expect(rows.filter((r) => r.hooked).map((r) => r.address)).toEqual(['alpha/polecats/nux']);
    expect(rows.find((r) => r.address === 'alpha/polecats/slit')).toMatchObject({ hooked: null, molecule: null, step: null, progress: null });

    const store = BeadStore.open(rigPaths(town, 'alpha').store);
    closeStep(store, 'alpha/polecats/nux', steps[0]!);
    expect(agentRows(town, 'alpha').find((r) => r.hooked)).toMatchObject({ step: `implement (${steps[1]})`, progress: '1/4' });
    expect(agentRows(town, 'beta').map((r) => r.address)).toEqual(['beta/witness', 'beta/refinery']);
    expect(thrown(() => agentRows(town, 'gamma'))).toMatchObject({ code: 'not_found', message: 'no rig gamma in town town (rigs: alpha, beta)' });
  });

  it('shows a running session as running, with its pid and idle time', () => {
    const { town } = setup();
    try {
      const mayor = agentFor(town, 'mayor');
      const [{ runtime }] = upPlan(town, { tools });
      expect(startAgent(town, mayor, runtime!, tools)).toBe('started');
      const row = agentRows(town).find((r) => r.address === 'mayor')!;
      expect(row).toMatchObject({ state: 'running', session: mayor.session, pid: townSessions(town).get(mayor.session)!.pid });
      expect(row.pid).toBeGreaterThan(0);
      expect(row.idle_s).toBeGreaterThanOrEqual(0);
      expect(agentRows(town).filter((r) => r.state === 'running').map((r) => r.address)).toEqual(['mayor']);
    } finally {
      stopAgents(town);
    }
  });
});

describe('upPlan', () => {
  it('is the standing agents, then the hooked polecats, each with the runtime it will run', () => {
    const { town } = setup();
    const plan = (options = {}) => upPlan(town, { tools, ...options }).map(({ agent, runtime }) => [agent.address, runtime.name, runtime.command]);
    expect(plan()).toEqual([
      ['mayor', 'sleeper', 'sleep 600'],
      ['alpha/witness', 'watcher', 'sleep 601'],
      ['alpha/refinery', 'sleeper', 'sleep 600'],
      ['beta/witness', 'watcher', 'sleep 601'],
      ['beta/refinery', 'sleeper', 'sleep 600'],
      // nux resumes with what it was slung with; slit has nothing hooked and is not started
      ['alpha/polecats/nux', 'slung', 'sleep 602'],
    ]);
    expect(plan({ rig: 'alpha' }).map(([address]) => address)).toEqual(['alpha/witness', 'alpha/refinery', 'alpha/polecats/nux']);
    expect(plan({ rig: 'beta', runtime: 'slung' })).toEqual([
      ['beta/witness', 'slung', 'sleep 602'],
      ['beta/refinery', 'slung', 'sleep 602'],
    ]);
    expect(townSessions(town).size).toBe(0); // a plan starts nothing
  });

  it('refuses the whole plan when any runtime is bad, or the rig is unknown', () => {
    const { town, bead } = setup();
    const runtime = thrown(() => upPlan(town, { tools, runtime: 'nosuch' }));
    expect(runtime).toBeInstanceOf(BeadsError);
    expect(runtime).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^unknown runtime "nosuch": runtimes are scripted, claude, sleeper, watcher, slung/) });
    // a runtime nobody asked for on the command line: the one a hooked polecat was slung with, gone since
    const store = BeadStore.open(rigPaths(town, 'alpha').store);
    updateBead(store, 'tester', bead, { metadata: { [HOOK_RUNTIME_KEY]: 'gone' } });
    expect(thrown(() => upPlan(town, { tools }))).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^unknown runtime "gone"/) });
    expect(upPlan(town, { tools, rig: 'beta' }).map(({ agent }) => agent.address)).toEqual(['beta/witness', 'beta/refinery']);
    expect(thrown(() => upPlan(town, { tools, rig: 'gamma' }))).toMatchObject({ code: 'not_found', message: 'no rig gamma in town town (rigs: alpha, beta)' });
  });
});
