// Temp directories with a real git repository and a store, for tests.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { initStore } from './location.js';
import { BeadStore, CONFIG_FILE } from './store.js';

export function tempRepo(prefix = 'gt'): { root: string; store: BeadStore; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'beads-test-'));
  execFileSync('git', ['init', '-q', root]);
  const { dir } = initStore(root, prefix);
  return { root, store: BeadStore.open(dir), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * A test file's temp repositories: `repo()` makes one (see tempRepo), removed after the test that made it, and
 * `later(fn)` runs anything else then (restoring a limit a test lowered, say).
 */
export function testRepos(afterEach: (fn: () => void) => void): { repo: (prefix?: string) => ReturnType<typeof tempRepo>; later: (fn: () => void) => void } {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  return {
    repo: (prefix) => {
      const r = tempRepo(prefix);
      cleanups.push(r.cleanup);
      return r;
    },
    later: (fn) => void cleanups.push(fn),
  };
}

/** Merges keys into a store's config.json (not checked: a test may write a bad value on purpose). */
export function writeConfig(store: BeadStore, extra: Record<string, unknown>): void {
  const path = join(store.dir, CONFIG_FILE);
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...extra }));
}

/** Merges keys into a store's config.json and opens the store again. */
export function withConfig(store: BeadStore, extra: Record<string, unknown>): BeadStore {
  writeConfig(store, extra);
  return BeadStore.open(store.dir);
}
