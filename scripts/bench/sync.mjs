// The sync budgets, each driven through bd and git only (the store's files are known to the builder alone):
//   one bead     `bd create` then `bd sync` on a large store and on a 1,000-bead store, interleaved: the median
//                sync of each, their ratio, and how much each sync grew the bare remote on disk
//   divergent    two clones with 10,000 operations each, made apart, brought together (both syncs)
//   fresh clone  the first command after `git clone` of the large store: the full cache build
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildBusyStore, storeShape } from './busy-store.mjs';
import { Generator, reseed } from './generator.mjs';
import { apparentBytes, bd, git, median, timeBd, timeNode, within, writtenLogFile } from './run.mjs';

const ms = (x) => `${Math.round(x)} ms`;
const kb = (x) => `${(x / 1024).toFixed(1)} KB`;

/** A bare remote and a clone of it holding a busy store of n beads, pushed, its cache built. */
function publishedStore(base, n) {
  git(base, 'init', '-q', '--bare', `remote-${n}.git`);
  const remote = join(base, `remote-${n}.git`);
  const work = join(base, `work-${n}`);
  git(base, 'clone', '-q', remote, work);
  const { layout } = buildBusyStore(work, n, { init: false });
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', `a busy store of ${n} beads`);
  git(work, 'push', '-q', '-u', 'origin', 'HEAD');
  bd(work, ['list', '-n', '1']);
  return { remote, work, layout };
}

export function benchOneBeadSync(base, sizes, runs) {
  const stores = sizes.map((n) => ({ n, ...publishedStore(base, n), sync: [], create: [], grew: [] }));
  for (let r = 0; r < runs; r++) {
    for (const s of stores) {
      s.create.push(timeBd(s.work, ['create', `bench: one bead ${r}`, '-p', '2']));
      const before = apparentBytes(s.remote);
      s.sync.push(timeBd(s.work, ['sync']));
      s.grew.push(apparentBytes(s.remote) - before);
    }
  }
  console.log(`one-bead sync (bd create, then bd sync to a bare remote), median of ${runs} interleaved runs; remote growth = bytes on disk of the bare repo (file and directory sizes, as du -sb counts them) after the sync minus before:`);
  for (const s of stores) console.log(`  ${String(s.n).padStart(7)} beads (${s.layout}): bd sync ${ms(median(s.sync))} (bd create ${ms(median(s.create))}); remote grew ${kb(median(s.grew))} per sync (median; ${kb(Math.max(...s.grew))} at most)`);
  const [small, large] = [stores[0], stores[stores.length - 1]];
  const ratio = median(large.sync) / median(small.sync);
  console.log(`  sync at ${large.n} / at ${small.n}: ${ratio.toFixed(2)}x, budget 1.5x ${within(ratio, 1.5)}; remote growth at ${large.n}: ${kb(median(large.grew))}, budget 256 KB ${within(median(large.grew), 256 * 1024)}`);
  return large;
}

/** The first command in fresh clones of the remote: each builds the whole cache from the log. */
export function benchFreshClone(base, { remote, n }, runs) {
  const times = [];
  const nodes = [];
  for (let r = 0; r < runs; r++) {
    const dir = join(base, `fresh-${r}`);
    git(base, 'clone', '-q', remote, dir);
    nodes.push(timeNode(['-e', ''], dir));
    times.push(timeBd(dir, ['ready', '--json']));
    if (r === 0) console.log(`first command after a fresh git clone of the ${n}-bead store (${storeShape(dir, n)})`);
    rmSync(dir, { recursive: true, force: true });
  }
  const t = median(times);
  console.log(`  bd ready --json, the full cache build: ${ms(t)} (median of ${runs}; node -e '' ${ms(median(nodes))}), budget 3000 ms ${within(t, 3000)}`);
}

/** One round: clone a pushes 10,000 operations; b, with 10,000 of its own, syncs; then a syncs. */
function divergentRound(base) {
  git(base, 'init', '-q', '--bare', 'remote.git');
  const a = join(base, 'a');
  const b = join(base, 'b');
  git(base, 'clone', '-q', 'remote.git', a);
  bd(a, ['init', '--prefix', 'bn']);
  git(a, 'add', '-A');
  git(a, 'commit', '-qm', 'store');
  git(a, 'push', '-q', '-u', 'origin', 'HEAD');
  git(base, 'clone', '-q', 'remote.git', b);
  for (const [dir, who] of [[a, 7], [b, 11]]) {
    reseed(who);
    const gen = new Generator('bn');
    const lines = [];
    while (lines.length < 10_000) lines.push(...gen.bead(0.8));
    appendFileSync(writtenLogFile(dir), lines.slice(0, 10_000).join('\n') + '\n'); // where this clone's writes go
    bd(dir, ['list', '-n', '1']); // the clone has read its own work before syncing
  }
  const timed = (dir) => {
    const t0 = performance.now();
    bd(dir, ['sync']);
    return performance.now() - t0;
  };
  const first = timed(a); // a publishes its 10,000
  const second = timed(b); // b merges them and publishes its own
  const third = timed(a); // a merges b's
  const same = JSON.parse(bd(a, ['doctor', '--json'])).hash === JSON.parse(bd(b, ['doctor', '--json'])).hash;
  return { first, second, third, same };
}

export function benchDivergent(runs) {
  const rounds = [];
  for (let r = 0; r < runs; r++) {
    const base = mkdtempSync(join(tmpdir(), 'bd-bench-sync-'));
    try {
      rounds.push(divergentRound(base));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
  const m = (k) => median(rounds.map((x) => x[k]));
  const both = median(rounds.map((x) => x.second + x.third));
  const hashes = rounds.every((x) => x.same) ? 'equal' : 'DIFFER';
  console.log(`sync of two clones with 10,000 divergent operations each, median of ${runs}: ${ms(m('second'))} (b merges a, pushes) + ${ms(m('third'))} (a merges b) = ${ms(both)}, budget 2000 ms ${within(both, 2000)}; a's first push ${ms(m('first'))}; hashes ${hashes}`);
}

export function benchSync({ sizes, runs, keep, parts }) {
  const base = mkdtempSync(join(tmpdir(), 'bd-bench-sync-'));
  const large = Math.max(...sizes);
  if (parts.includes('one') || parts.includes('clone')) {
    const published = parts.includes('one') ? benchOneBeadSync(base, [1000, large], runs) : { n: large, ...publishedStore(base, large) };
    if (parts.includes('clone')) benchFreshClone(base, published, Math.min(runs, 5));
  }
  if (parts.includes('divergent')) benchDivergent(Math.min(runs, 5));
  if (keep) console.log(`kept ${base} (bare remotes and their clones)`);
  else rmSync(base, { recursive: true, force: true });
}
