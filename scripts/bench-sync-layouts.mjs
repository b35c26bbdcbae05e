#!/usr/bin/env node
// What git alone costs for one sync round under two layouts of the log, measured side by side (bead gt-pp7ea9de):
//   single    both clones append to one .beads/ops.jsonl, merged by union (today's layout)
//   segments  each clone appends to a file of its own, so merges are tree-level and no merged blob is made
// A round is what `node scripts/bench.mjs --only sync` times, without bd: clone a has pushed N operations;
// clone b commits its own N, fetches, merges and pushes; then a fetches and merges. bd's own work (start-up,
// reading the logs, counting) comes on top of these figures.
// Usage: node scripts/bench-sync-layouts.mjs [--ops 10000] [--runs 5]
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const OPS = opt('ops', 10_000);
const RUNS = opt('runs', 5);

function git(cwd, ...argv) {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...argv], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Operations shaped like the store's (about 370 bytes each). */
function ops(n, who) {
  let out = '';
  for (let i = 0; i < n; i++) {
    const op = { op_id: `${who}${i.toString(36).padStart(9, '0')}`, bead: `bn-${who}${i >> 2}`, kind: 'set', actor: `agent-${who}`, ts: new Date(1e12 + i * 1000).toISOString(), lc: i + 2, fields: { title: `title words ${i}`, description: `${'lorem ipsum dolor sit amet '.repeat(10)}${i}` } };
    out += JSON.stringify(op) + '\n';
  }
  return out;
}

function round(layout) {
  const base = mkdtempSync(join(tmpdir(), 'bench-layouts-'));
  try {
    git(base, 'init', '-q', '--bare', 'remote.git');
    const a = join(base, 'a');
    const b = join(base, 'b');
    git(base, 'clone', '-q', 'remote.git', a);
    mkdirSync(join(a, '.beads'));
    writeFileSync(join(a, '.gitattributes'), '.beads/ops.jsonl merge=union\n');
    writeFileSync(join(a, '.beads', 'ops.jsonl'), '');
    git(a, 'add', '-A');
    git(a, 'commit', '-qm', 'store');
    git(a, 'push', '-q', 'origin', 'HEAD');
    const branch = git(a, 'rev-parse', '--abbrev-ref', 'HEAD').trim();
    git(base, 'clone', '-q', 'remote.git', b);
    const file = (who) => join('.beads', layout === 'single' ? 'ops.jsonl' : `ops-${who}.jsonl`);
    appendFileSync(join(a, file('a')), ops(OPS, 'a'));
    git(a, 'add', '-A');
    git(a, 'commit', '-qm', 'a');
    git(a, 'push', '-q', 'origin', 'HEAD');
    appendFileSync(join(b, file('b')), ops(OPS, 'b'));
    const t0 = performance.now();
    git(b, 'add', '-A');
    git(b, 'commit', '-qm', 'b');
    git(b, 'fetch', '-q', 'origin');
    git(b, 'merge', '-q', '--no-edit', `origin/${branch}`);
    git(b, 'push', '-q', 'origin', 'HEAD');
    const t1 = performance.now();
    git(a, 'fetch', '-q', 'origin');
    git(a, 'merge', '-q', '--no-edit', `origin/${branch}`);
    const t2 = performance.now();
    return [t1 - t0, t2 - t1];
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const times = { single: [], segments: [] };
for (let i = 0; i < RUNS; i++) for (const layout of ['single', 'segments']) times[layout].push(round(layout));
console.log(`git's part of a sync round, ${OPS} operations on each side, median of ${RUNS} interleaved runs:`);
const totals = {};
for (const layout of ['single', 'segments']) {
  const b = median(times[layout].map((t) => t[0]));
  const a = median(times[layout].map((t) => t[1]));
  totals[layout] = median(times[layout].map((t) => t[0] + t[1]));
  console.log(`  ${layout.padEnd(9)} b commits, merges, pushes ${b.toFixed(0).padStart(5)} ms; a merges ${a.toFixed(0).padStart(5)} ms; round ${totals[layout].toFixed(0).padStart(5)} ms`);
}
console.log(`  segments / single: ${(totals.segments / totals.single).toFixed(2)}x`);
