import { afterEach, describe, expect, it } from '@jest/globals';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bd, bdAsync, bdJson, git, logText } from './helpers.js';

const bases: string[] = [];
afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));

function opIds(dir: string): Set<string> {
  return new Set(logText(dir).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { op_id: string }).op_id));
}

describe('three clones working apart and syncing at random moments', () => {
  it('converge: identical state hashes and every operation in every clone', async () => {
    const base = mkdtempSync(join(tmpdir(), 'bd-fed-'));
    bases.push(base);
    git(base, 'init', '-q', '--bare', 'remote.git');
    const dirs = [0, 1, 2].map((i) => join(base, `c${i}`));
    git(base, 'clone', '-q', 'remote.git', dirs[0]!);
    bd(dirs[0]!, ['init', '--prefix', 'gt']);
    git(dirs[0]!, 'add', '-A');
    git(dirs[0]!, 'commit', '-qm', 'store');
    git(dirs[0]!, 'push', '-q', 'origin', 'HEAD');
    for (const d of dirs.slice(1)) git(base, 'clone', '-q', 'remote.git', d);

    let seed = 20261126;
    const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed % n);
    const actor = (i: number) => ({ BD_ACTOR: `agent${i}` });
    const known: string[][] = [[], [], []];
    for (let round = 0; round < 6; round++) {
      // each clone does a few things on what it knows
      for (let i = 0; i < 3; i++) {
        const dir = dirs[i]!;
        for (let k = 0; k < 4; k++) {
          const ids = known[i]!;
          const pick = ids[rnd(Math.max(ids.length, 1))];
          const step = rnd(7);
          let r;
          if (step < 2 || !pick) r = bd(dir, ['create', `r${round} c${i} k${k}`, '-p', String(rnd(5)), '--json'], actor(i));
          else if (step === 2) r = bd(dir, ['update', pick, '--title', `renamed by c${i} in r${round}`], actor(i));
          else if (step === 3) r = bd(dir, ['update', pick, '--claim'], actor(i));
          else if (step === 4) r = bd(dir, ['close', pick], actor(i));
          else if (step === 5) r = bd(dir, ['label', 'add', pick, `l${rnd(3)}`], actor(i));
          else r = bd(dir, ['dep', 'add', pick, ids[rnd(ids.length)]!], actor(i));
          if (r.code === 0 && step < 2) ids.push((JSON.parse(r.stdout) as { id: string }).id);
          expect([0, 3, 4, 5]).toContain(r.code); // refusals (claimed, closed, cycles to itself) are fine
        }
      }
      // some clones sync, sometimes at the same moment
      const syncing = [0, 1, 2].filter(() => rnd(3) > 0);
      const results = await Promise.all(syncing.map((i) => bdAsync(dirs[i]!, ['sync', '--json'], actor(i))));
      for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      for (const i of syncing) known[i] = bdJson<{ id: string }[]>(dirs[i]!, ['list', '--all', '-n', '0']).map((b) => b.id);
    }
    // quiescence: everyone syncs until nothing moves
    for (let pass = 0; pass < 2; pass++) for (let i = 0; i < 3; i++) bdJson(dirs[i]!, ['sync'], actor(i));
    const hashes = dirs.map((d) => bdJson<{ hash: string; ok: boolean }>(d, ['doctor']));
    expect(hashes.every((h) => h.ok)).toBe(true);
    expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
    const all = dirs.map(opIds);
    const union = new Set([...all[0]!, ...all[1]!, ...all[2]!]);
    for (const ids of all) expect(ids.size).toBe(union.size);
    expect(union.size).toBeGreaterThan(50);
  });
});
