// gt status: the town on one screen, problems first, with --json.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bd, gt, gtJson } from './helpers.js';
import { testTowns } from './town-harness.js';

const newTown = testTowns('status');
const town = (): string => newTown().town;
const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

interface Status {
  problems: { kind: string; subject: string }[];
  daemon: { running: boolean };
  rigs: { name: string; ready: number; queue_depth: number; dispatch: string; max_polecats: number }[];
  agents: { address: string; health: string }[];
  counts: Record<string, number>;
}

describe('gt status', () => {
  it('counts ready work per rig, shows the daemon, and names a broken setting as a problem first', () => {
    const t = town();
    for (const title of ['one', 'two']) expect(bd(t, ['create', title, '--rig', 'alpha']).code).toBe(0);
    // ready as dispatch counts it: not a bead labelled no-dispatch, nor an epic
    expect(bd(t, ['create', 'held back', '--rig', 'alpha', '-l', 'no-dispatch']).code).toBe(0);
    expect(bd(t, ['create', 'an epic', '--rig', 'alpha', '-t', 'epic']).code).toBe(0);
    const s = gtJson<Status>(t, ['status']);
    expect(s.rigs).toEqual([{ name: 'alpha', dispatch: 'mayor', max_polecats: 4, queue_depth: 0, ready: 2, polecats: 0 }]);
    expect(s.daemon.running).toBe(false);
    // the standing agents are down (nothing was started): dead, and problems
    expect(s.agents.map((a) => [a.address, a.health])).toEqual([['mayor', 'dead'], ['alpha/witness', 'dead'], ['alpha/refinery', 'dead']]);
    expect(s.counts).toEqual({ working: 0, idle: 0, stalled: 0, dead: 3 });
    mkdirSync(join(t, 'settings'), { recursive: true });
    writeFileSync(join(t, 'settings', 'alpha.json'), '{"dispatch": "sometimes"}');
    const text = gt(t, ['status']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^PROBLEMS \(\d+\)$/);
    expect(text.stdout).toContain('settings   alpha');
  });

  it('outside a town: one clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gt-status-none-'));
    bases.push(dir);
    const r = gt(dir, ['status']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no town found/);
  });
});
