import { afterEach, describe, expect, it } from '@jest/globals';
import { BeadStore, createBead, updateBead } from '@gastown/beads';
import { stopAgents } from '../agents/index.js';
import type { Town } from '../model.js';
import { testTowns } from '../town/test-town.js';
import { rigPaths } from '../town/index.js';
import { daemonTick } from './daemon.js';

const { town: newTown } = testTowns(afterEach);
const tools = { node: process.execPath, gt: '/nowhere/gt.mjs', bd: '/nowhere/bd.mjs' };
const towns: Town[] = [];
const path = process.env.PATH;
afterEach(() => {
  process.env.PATH = path;
  towns.splice(0).forEach((t) => stopAgents(t));
});

describe('daemonTick', () => {
  it('logs a failing step and goes on: the sweep still releases a lapsed lease', async () => {
    const town = newTown({ alpha: 'al' });
    towns.push(town);
    const store = BeadStore.open(rigPaths(town, 'alpha').store);
    const bead = createBead(store, 'tester', { title: 'claimed and forgotten' });
    updateBead(store, 'alpha/polecats/nux', bead.id, {}, { claim: true, leaseMs: 1000 });
    const lines: string[] = [];
    process.env.PATH = '/nonexistent'; // no tmux: the services step fails, and so does the witness's (it reads the sessions)
    const r = await daemonTick(town, { tools, now: Date.now() + 60_000, log: (l) => lines.push(l), tick: 7 });
    process.env.PATH = path;
    expect(r.steps.map((s) => [s.step, s.rig ?? null, s.ok])).toEqual([
      ['services', null, false],
      ['witness', 'alpha', false],
      ['dispatch', 'alpha', true], // dispatch: mayor (the default) only mails
      ['sweep', null, true],
    ]);
    expect(r.steps[0]!.error).toMatch(/tmux is not installed/);
    expect(r.interrupted).toBe(false);
    expect(lines.some((l) => /^tick 7: services: FAILED: tmux is not installed/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith(`tick 7: sweep: released ${bead.id} (alpha): alpha/polecats/nux's lease lapsed at`))).toBe(true);
    expect(store.get(bead.id)).toMatchObject({ status: 'open' });
    expect(store.get(bead.id).assignee).toBeUndefined();
  });

  it('leaves a live lease alone, and ends between steps when a stop is asked for', async () => {
    const town = newTown({ alpha: 'al' });
    towns.push(town);
    const store = BeadStore.open(rigPaths(town, 'alpha').store);
    const bead = createBead(store, 'tester', { title: 'held' });
    updateBead(store, 'alpha/polecats/nux', bead.id, {}, { claim: true, leaseMs: 600_000 });
    let asked = 0;
    const r = await daemonTick(town, { tools, shouldStop: () => ++asked > 2 });
    expect(r.interrupted).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual(['services', 'witness']);
    const full = await daemonTick(town, { tools });
    expect(full.steps.find((s) => s.step === 'sweep')!.actions).toEqual([]);
    expect(store.get(bead.id)).toMatchObject({ status: 'in_progress', assignee: 'alpha/polecats/nux' });
  });
});
