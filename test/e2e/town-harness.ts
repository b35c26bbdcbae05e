// A town with one rig, alpha (prefix al), for the tests of what runs in it (dispatch, the setup hook, resume,
// gt status): the rig's repository may commit settings (.gastown/settings.json) and molecules, and the town
// may name runtimes. Each town is stopped (gt down) and removed after its test.
import { afterEach } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bd, git, gt, gtJson } from './helpers.js';

export interface TownOptions {
  /** Committed in the rig's .gastown/settings.json. */
  settings?: Record<string, unknown>;
  /** Molecules committed in the rig's molecules/ (name -> markdown). */
  molecules?: Record<string, string>;
  /** town.json's `runtimes`. */
  runtimes?: unknown;
  /** Add the rig from a bare clone of its repository (alpha.git), as from a shared remote: pushes land there. */
  bareRemote?: boolean;
}

export interface TestTown {
  town: string;
  base: string;
  /** The rig's clone (alpha/main). */
  clone: string;
  /** The repository the rig was added from (alpha-src, or alpha.git with `bareRemote`). */
  remote: string;
}

/** `newTown(options)` for a test file; `env` is what gt down runs with at cleanup. */
export function testTowns(tag: string, env: Record<string, string> = {}): (options?: TownOptions) => TestTown {
  const made: TestTown[] = [];
  afterEach(() => {
    for (const { town, base } of made.splice(0)) {
      gt(town, ['down'], env);
      rmSync(base, { recursive: true, force: true });
    }
  });
  return (options = {}) => {
    const base = mkdtempSync(join(tmpdir(), `gt-${tag}-`));
    const src = join(base, 'alpha-src');
    git(base, 'init', '-q', '-b', 'main', src);
    writeFileSync(join(src, 'README'), 'alpha\n');
    bd(src, ['init', '--prefix', 'al']);
    if (options.molecules) {
      mkdirSync(join(src, 'molecules'));
      for (const [name, text] of Object.entries(options.molecules)) writeFileSync(join(src, 'molecules', `${name}.md`), text);
    }
    if (options.settings) {
      mkdirSync(join(src, '.gastown'));
      writeFileSync(join(src, '.gastown', 'settings.json'), JSON.stringify(options.settings));
    }
    git(src, 'add', '-A');
    git(src, 'commit', '-qm', 'start');
    const remote = options.bareRemote ? join(base, 'alpha.git') : src;
    if (options.bareRemote) git(base, 'clone', '-q', '--bare', src, remote);
    const town = join(base, 'town');
    gt(base, ['install', town]);
    const t = { town, base, clone: join(town, 'alpha', 'main'), remote };
    made.push(t);
    gtJson(town, ['rig', 'add', 'alpha', remote]);
    if (options.runtimes) {
      const file = join(town, 'town.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), runtimes: options.runtimes }, null, 2));
    }
    return t;
  };
}
