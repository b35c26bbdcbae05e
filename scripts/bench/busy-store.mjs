// Builds a busy tracker's store: `bd init`, then the generator's operations written straight into
// .beads/ops.jsonl, as the store's history would arrive by a `git pull`. A single-file log is a store every
// bd must keep reading; when this bd has `bd migrate` (the segmented log), the store is then migrated, so the
// benchmark measures the layout bd writes. Nothing after this module knows where the log lives.
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Generator, reseed } from './generator.mjs';
import { bd, git, hasMigrate } from './run.mjs';

/** A store of `n` busy-tracker beads in the git work tree `repo` (a new repo when it has no .git). */
export function buildBusyStore(repo, n, { init = true } = {}) {
  if (init) git(repo, 'init', '-q');
  bd(repo, ['init', '--prefix', 'bn']);
  reseed(42); // every store of a size is the same store
  const gen = new Generator('bn');
  const log = join(repo, '.beads', 'ops.jsonl');
  const t0 = performance.now();
  let chunk = [];
  for (let i = 0; i < n; i++) {
    chunk.push(...gen.bead());
    if (chunk.length > 20000) {
      appendFileSync(log, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) appendFileSync(log, chunk.join('\n') + '\n');
  const writeMs = performance.now() - t0;
  const logBytes = statSync(log).size;
  const layout = hasMigrate() ? (bd(repo, ['migrate']), 'migrated by bd migrate') : 'one file, .beads/ops.jsonl';
  return { gen, logBytes, writeMs, layout };
}

/** The store's counts as bd sees them; stops the benchmark when bd does not see every bead written. */
export function storeShape(repo, n) {
  const stats = JSON.parse(bd(repo, ['stats', '--json']));
  if (stats.total < n) throw new Error(`bench: bd sees ${stats.total} beads of the ${n} written (has the log's layout changed under the store builder?)`);
  const s = stats.by_status ?? {};
  return `${stats.total} beads: ${s.closed ?? 0} closed, ${s.open ?? 0} open, ${s.in_progress ?? 0} in progress; ${stats.ready} ready, ${stats.blocked} blocked`;
}
