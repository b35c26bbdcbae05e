// Temp directories with a real git repository and a store, for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { initStore } from './location.js';
import { BeadStore } from './store.js';

export function tempRepo(prefix = 'gt'): { root: string; store: BeadStore; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'beads-test-'));
  execFileSync('git', ['init', '-q', root]);
  const { dir } = initStore(root, prefix);
  return { root, store: BeadStore.open(dir), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
