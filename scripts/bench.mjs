#!/usr/bin/env node
// npm run bench: builds busy trackers' stores (scripts/bench/busy-store.mjs) and prints the median wall time of
// what agents run and its ratio to `node -e ''`, measured side by side (interleaved) in one run, each with its
// budget and PASS or OVER; then the sync budgets, the import of the Beads sample and the refinery's merge queue.
// A benchmark, not a test: nothing here fails on a figure. Figures and how to read them: docs/benchmarks.md.
// Usage: node scripts/bench.mjs [--sizes 10000,100000] [--runs 11] [--only stores,sync,import,refinery,dashboard] [--keep]
//   --only also takes the parts of sync alone: sync-one (one-bead sync), sync-divergent, sync-clone (fresh clone)
//   the refinery runs each configuration once (about 1.5 minutes in all) unless --runs is given
//   the dashboard (gt dashboard at the largest size: refresh and key press to the screen) takes about 2 minutes
import { existsSync, writeFileSync } from 'node:fs';
import { benchAgents } from './bench/agents.mjs';
import { benchDashboard } from './bench/dashboard.mjs';
import { benchImport } from './bench/import.mjs';
import { benchRefinery } from './bench/refinery.mjs';
import { BD, rows } from './bench/run.mjs';
import { benchSync } from './bench/sync.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = opt('sizes', '10000,100000').split(',').map(Number);
const runs = Number(opt('runs', '11'));
const only = opt('only', 'stores,sync,import,refinery,dashboard').split(',');
const keep = args.includes('--keep');

if (!existsSync(BD)) {
  console.error('bench: build first (npm install, or npm run build)');
  process.exit(1);
}

console.log(`bench: median of ${runs} runs each, interleaved; ratio = median / median of node -e '' in the same runs\n`);
if (only.includes('stores')) for (const size of sizes) benchAgents(size, { runs, keep });
const syncParts = ['one', 'divergent', 'clone'].filter((p) => only.includes('sync') || only.includes(`sync-${p}`));
if (syncParts.length) benchSync({ sizes, runs, keep, parts: syncParts });
if (only.includes('import')) benchImport(Math.max(1, Math.min(runs, 5)));
if (only.includes('refinery')) benchRefinery({ runs: args.includes('--runs') ? runs : 1, keep });
if (only.includes('dashboard')) await benchDashboard({ size: Math.max(...sizes), runs, keep });

if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(rows, null, 2));
