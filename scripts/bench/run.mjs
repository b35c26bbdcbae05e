// Running and timing processes for the benchmarks: bd and git by their CLIs, medians of interleaved runs,
// and the lines that print a figure with its budget.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BD = join(ROOT, 'packages', 'cli', 'dist', 'bd.mjs');
export const env = { ...process.env, BD_ACTOR: 'bench', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' };

export function bd(cwd, argv) {
  const r = spawnSync(process.execPath, [BD, ...argv], { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`bd ${argv.join(' ')}: exit ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export function git(cwd, ...argv) {
  const r = spawnSync('git', argv, { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`git ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Wall time of one `node ARGV` run, output discarded (a failure stops the benchmark). */
export function timeNode(argv, cwd) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

export function timeBd(cwd, argv) {
  return timeNode([BD, ...argv], cwd);
}

export const NODE_BASELINE = ['-e', ''];

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs each case `runs` times, interleaved (case 1, 2, ... then again), so that the machine's noise falls on
 * all of them alike. A case is { argv } or { argv: () => argv }, with an untimed `before` hook.
 */
export function measure(cases, cwd, runs) {
  const times = cases.map(() => []);
  for (let r = 0; r < runs; r++) {
    cases.forEach((c, i) => {
      c.before?.();
      times[i].push(timeNode(typeof c.argv === 'function' ? c.argv() : c.argv, cwd));
    });
  }
  return times.map(median);
}

export const rows = [];

/** Prints a figure: its median and, against the baseline, its ratio with the budget and PASS or OVER. */
export function report(size, name, ms, baseline, budget) {
  const ratio = baseline === undefined ? undefined : ms / baseline;
  const verdict = budget === undefined ? '' : `budget ${budget}x ${ratio <= budget ? 'PASS' : 'OVER'}`;
  rows.push({ size, name, ms, ratio, budget, verdict });
  const shown = ratio === undefined ? '' : `${ratio.toFixed(2).padStart(5)}x`;
  console.log(`${String(size).padStart(7)}  ${name.padEnd(48)} ${ms.toFixed(1).padStart(8)} ms  ${shown}  ${verdict}`);
}

/** A figure against an absolute budget (ms, bytes or a ratio): `PASS` when within it. */
export const within = (value, budget) => (value <= budget ? 'PASS' : 'OVER');

/** Bytes on disk under a directory, as `du -sb` counts them (apparent sizes, directories included). */
export function apparentBytes(dir) {
  let total = statSync(dir).size;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? apparentBytes(p) : statSync(p).size;
  }
  return total;
}

/** Sizes of the store's files that a clone writes to (its caches, lock and ignored files aside). */
function storeFileSizes(repo) {
  const dir = join(repo, '.beads');
  const sizes = new Map();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'cache' && e.name !== 'wisps') walk(p);
      } else if (e.name.endsWith('.jsonl')) sizes.set(relative(repo, p), statSync(p).size);
    }
  };
  walk(dir);
  return sizes;
}

/**
 * The log file this clone appends its operations to, whatever the layout (one .beads/ops.jsonl, or a segment
 * of its own): the one a `bd create` made grow. The benchmark appends there what "another process" wrote.
 */
export function writtenLogFile(repo) {
  const before = storeFileSizes(repo);
  bd(repo, ['create', 'bench: which file grows']);
  const grown = [...storeFileSizes(repo)].filter(([p, size]) => size > (before.get(p) ?? 0)).map(([p]) => p);
  if (grown.length !== 1) throw new Error(`bench: a bd create grew ${grown.length} log files under .beads/ (${grown.join(', ')}); expected one`);
  return join(repo, grown[0]);
}

/** Whether this bd has `bd migrate` (the segmented log's conversion of a single-file store). */
export function hasMigrate() {
  return /^\s+bd migrate\b/m.test(bd(ROOT, ['--help']));
}
