// For unit tests only (not exported from index.ts): a real town in a temp directory, with rigs cloned from
// real one-commit repositories, removed after each test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Town } from '../model.js';
import { addRig } from './rigs.js';
import { installTown, readTown } from './town.js';

const git = (cwd: string, ...args: string[]): void => void execFileSync('git', args, { cwd, stdio: 'pipe' });

/** `town(rigs)` installs a town with the rigs named (name to prefix) and returns it as read back. */
export function testTowns(afterEach: (fn: () => void) => void): { town: (rigs?: Record<string, string>) => Town } {
  const bases: string[] = [];
  afterEach(() => bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true })));
  return {
    town(rigs = {}) {
      const base = mkdtempSync(join(tmpdir(), 'gastown-town-'));
      bases.push(base);
      let town = installTown(join(base, 'town')).town;
      for (const [name, prefix] of Object.entries(rigs)) {
        const source = join(base, `${name}-src`);
        git(base, 'init', '-q', source);
        writeFileSync(join(source, 'README'), `${name}\n`);
        git(source, 'add', '-A');
        git(source, 'commit', '-qm', 'start');
        addRig(town, name, source, { prefix });
        town = readTown(town.root);
      }
      return town;
    },
  };
}
