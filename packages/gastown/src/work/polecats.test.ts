import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, closeBead, createBead, hookBead, initStore, updateBead, type Bead } from '@gastown/beads';
import type { MqState, Town } from '../model.js';
import { polecatRows } from './polecats.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A town of one rig whose polecats are plain directories (no worktrees, no sessions): the state is the store's. */
function setup(names: string[]) {
  const root = mkdtempSync(join(tmpdir(), 'gastown-polecats-'));
  roots.push(root);
  const clone = join(root, 'alpha', 'main');
  execFileSync('git', ['init', '-q', clone]);
  const { dir } = initStore(clone, 'al');
  for (const n of names) mkdirSync(join(root, 'alpha', 'polecats', n), { recursive: true });
  const town: Town = { root, config: { name: `unit${process.pid}`, format: 1, created_at: '2026-01-01T00:00:00.000Z' }, rigs: [{ name: 'alpha', prefix: 'al', source: 'x', path: 'alpha', added_at: '2026-01-01T00:00:00.000Z' }] };
  let t = Date.parse('2026-03-01T00:00:00.000Z');
  const store = BeadStore.open(dir, { now: () => new Date((t += 1000)) }); // each write a second later
  const address = (n: string): string => `alpha/polecats/${n}`;
  const hooked = (n: string): Bead => {
    const bead = createBead(store, 'tester', { title: `work of ${n}` });
    hookBead(store, 'tester', bead.id, address(n));
    return bead;
  };
  const mr = (n: string, source: Bead, mq?: MqState, closed = false): Bead => {
    const made = createBead(store, address(n), {
      title: `Merge polecat/${n}`,
      issue_type: 'merge-request',
      metadata: { merge_request: { branch: `polecat/${n}`, target: 'main', source_bead: source.id, worker: address(n), commit: 'c0ffee' } },
    });
    if (mq) updateBead(store, 'alpha/refinery', made.id, { metadata: { ...(made.metadata as object), mq: { state: mq, queued_at: made.created_at, retries: 0, reworks: 0, attempts: [] } } });
    if (closed) closeBead(store, 'alpha/refinery', made.id, mq);
    return made;
  };
  return { town, store, hooked, mr };
}

describe('polecatRows', () => {
  it('gives each polecat the state its hook and latest merge request say', () => {
    const names = ['working', 'filed', 'testing', 'rework', 'merged', 'rejected', 'idle', 'newer', 'other'];
    const { town, store, hooked, mr } = setup(names);
    hooked('working');
    mr('filed', hooked('filed')); // as gt done files it: no mq
    mr('testing', hooked('testing'), 'testing');
    mr('rework', hooked('rework'), 'rework', true);
    const m = hooked('merged');
    mr('merged', m, 'merged', true);
    closeBead(store, 'alpha/refinery', m.id, 'merged');
    const r = hooked('rejected');
    mr('rejected', r, 'rejected', true);
    updateBead(store, 'alpha/refinery', r.id, { status: 'open', assignee: '' }); // released
    // an older merged one, then a newer one in the queue: the newer counts
    const n = hooked('newer');
    mr('newer', n, 'merged', true);
    mr('newer', n, 'queued');
    // sent back for rework, but another bead is on its hook now: it is working on that
    const o = createBead(store, 'tester', { title: 'first' });
    mr('other', o, 'rework', true);
    hooked('other');

    const rows = Object.fromEntries(polecatRows(town).map((p) => [p.name, [p.state, p.merge_request?.queue_state ?? null, p.merge_request?.status ?? null]]));
    expect(rows).toEqual({
      filed: ['in_queue', 'queued', 'open'],
      idle: ['idle', null, null],
      merged: ['merged', 'merged', 'closed'],
      newer: ['in_queue', 'queued', 'open'],
      other: ['working', 'rework', 'closed'],
      rejected: ['rejected', 'rejected', 'closed'],
      rework: ['rework', 'rework', 'closed'],
      testing: ['in_queue', 'testing', 'open'],
      working: ['working', null, null],
    });
    const row = polecatRows(town, 'alpha').find((p) => p.name === 'idle')!;
    expect(row).toMatchObject({ rig: 'alpha', address: 'alpha/polecats/idle', branch: null, hooked: null, session_state: 'absent' });
  });

  it('refuses an unknown rig', () => {
    const { town } = setup([]);
    expect(() => polecatRows(town, 'beta')).toThrow(/^no rig beta in town unit\d+ \(rigs: alpha\)$/);
    expect(polecatRows(town)).toEqual([]);
  });
});
