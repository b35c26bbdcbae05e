// A write is acknowledged once its line is fsynced: trouble with the derived cache (another process deleting
// .beads/cache, which the docs call always safe) never turns a durable write into a reported failure.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { bdAsync, tempDirs, type Result, logText } from './helpers.js';

const { store } = tempDirs(afterEach);

describe('bd create while another process deletes the cache', () => {
  it('exits 0 exactly for the creates whose line is in the log', async () => {
    const dir = store();
    // a real concurrent deleter: rm -rf .beads/cache in a tight loop for as long as the creates run
    const deleter = spawn('sh', ['-c', 'while :; do rm -rf .beads/cache; done'], { cwd: dir, stdio: 'ignore', detached: true });
    const results = new Map<string, Result>();
    try {
      await Promise.all(
        [0, 1].map(async (loop) => {
          for (let i = 0; i < 20; i++) {
            const title = `bead ${loop}-${i}`;
            results.set(title, await bdAsync(dir, ['create', title, '--json']));
          }
        }),
      );
    } finally {
      process.kill(-deleter.pid!, 'SIGKILL');
    }
    const logged = logText(dir)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; bead: string; fields: { title: string } });
    const inLog = new Map(logged.filter((o) => o.kind === 'create').map((o) => [o.fields.title, o.bead]));
    const failed = [...results].filter(([, r]) => r.code !== 0).map(([title, r]) => `${title}: exit ${r.code} ${r.stderr.trim()}`);
    expect(failed).toEqual([]);
    expect(new Set(inLog.keys())).toEqual(new Set(results.keys()));
    for (const [title, r] of results) expect([title, (JSON.parse(r.stdout) as { id: string }).id]).toEqual([title, inLog.get(title)]);
  });
});

describe('reads while another process deletes the cache', () => {
  it('answer every query in full, never an internal error', async () => {
    const dir = store();
    const made: string[] = [];
    for (let i = 0; i < 30; i++) made.push((JSON.parse((await bdAsync(dir, ['create', `bead ${i}`, '--json'])).stdout) as { id: string }).id);
    await bdAsync(dir, ['close', made[0]!]);
    // pauses between deletions, so that reads find a cache, and lose it midway
    const deleter = spawn('sh', ['-c', 'while :; do rm -rf .beads/cache; sleep 0.02; done'], { cwd: dir, stdio: 'ignore', detached: true });
    const queries: [string[], number][] = [
      [['list', '--all', '-n', '0'], 30],
      [['list', '-n', '0'], 29],
      [['ready', '-n', '0'], 29],
      [['search', 'bead', '-n', '0'], 30],
    ];
    const failed: string[] = [];
    try {
      for (let round = 0; round < 10; round++) {
        for (const [args, count] of queries) {
          const r = await bdAsync(dir, [...args, '--json']);
          if (r.code !== 0) failed.push(`bd ${args.join(' ')}: exit ${r.code} ${r.stdout.slice(0, 300)}${r.stderr.slice(0, 300)}`);
          else if ((JSON.parse(r.stdout) as unknown[]).length !== count) failed.push(`bd ${args.join(' ')}: ${(JSON.parse(r.stdout) as unknown[]).length} beads, not ${count}`);
        }
      }
    } finally {
      process.kill(-deleter.pid!, 'SIGKILL');
    }
    expect(failed).toEqual([]);
  });
});
