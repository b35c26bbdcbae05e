import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

describe('npm start (the demo)', () => {
  it('shows work becoming ready as its blocker closes', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'dist', 'demo.js')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const [before, after] = r.stdout.split('== What became ready');
    const readyBefore = before!.split('$ bd ready\n')[1]!.split('$ bd blocked')[0]!;
    expect(readyBefore).toMatch(/Design the login flow/);
    expect(readyBefore).not.toMatch(/Build the login flow/);
    const readyAfter = after!.split('$ bd ready\n')[1]!.split('==')[0]!;
    expect(readyAfter.trim().split('\n').map((l) => l.replace(/^\S+\s+/, ''))).toEqual([
      'P2 task    open        Build the login flow',
      'P3 task    open        Document login',
    ]);
    expect(r.stdout).toMatch(/ok: caches rebuilt/);
  });
});
