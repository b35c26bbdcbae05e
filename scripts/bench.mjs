#!/usr/bin/env node
// npm run bench: builds stores of 10,000 and 100,000 beads shaped like real ones, then prints the median wall
// time of bd commands and their ratio to `node -e ''`, measured side by side (interleaved) in one run.
// Usage: node scripts/bench.mjs [--sizes 10000,100000] [--runs 11] [--only stores,sync,import] [--keep]
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BD = join(ROOT, 'packages', 'cli', 'dist', 'bd.mjs');
const SAMPLE = join(ROOT, 'test', 'data', 'beads-export-sample.jsonl');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const SIZES = opt('sizes', '10000,100000').split(',').map(Number);
const RUNS = Number(opt('runs', '11'));
const ONLY = opt('only', 'stores,sync,import').split(',');
const env = { ...process.env, BD_ACTOR: 'bench' };

if (!existsSync(BD)) {
  console.error('bench: build first (npm install, or npm run build)');
  process.exit(1);
}

// ---- a deterministic generator of realistic operations --------------------------------------------------
let seed = 42;
// mulberry32: a small PRNG that stays in 32-bit integers
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const ALPHA = '0123456789abcdefghjkmnpqrstvwxyz';
const token = (n) => Array.from({ length: n }, () => ALPHA[Math.floor(rnd() * 32)]).join('');
const WORDS = 'store fold merge claim ready blocked agent witness refinery polecat molecule step gate sync clone lock cache index query import export hash log line crash lease mail nudge tmux session queue branch worktree review test docs release'.split(' ');
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

class Generator {
  constructor(prefix) {
    this.prefix = prefix;
    this.lc = 0;
    this.t = Date.parse('2026-01-01T00:00:00Z');
    this.ids = [];
    this.open = [];
    this.epics = [];
  }
  op(bead, kind, extra, origin) {
    this.t += 1000 + Math.floor(rnd() * 60000);
    return JSON.stringify({ op_id: token(16), bead, ...(origin ? { origin } : {}), kind, actor: pick(['alice', 'bob', 'carol', 'polecat-nux', 'polecat-slit']), ts: new Date(this.t).toISOString(), lc: ++this.lc, ...extra });
  }
  /** Lines for one bead's life: create, some edits, comments, a claim, and for most a close. */
  bead(closedShare = 0.92) {
    const id = `${this.prefix}-${token(8)}`;
    const originId = token(16);
    const fields = { title: sentence(4 + Math.floor(rnd() * 6)), description: sentence(20 + Math.floor(rnd() * 120)), priority: Math.floor(rnd() * 5), issue_type: pick(['task', 'task', 'task', 'bug', 'feature', 'chore']) };
    const deps = [];
    if (this.ids.length % 50 === 0) fields.issue_type = 'epic';
    else if (this.epics.length && rnd() < 0.4) deps.push({ depends_on_id: pick(this.epics.slice(-20)), type: 'parent-child' });
    if (this.ids.length > 10 && rnd() < 0.25) deps.push({ depends_on_id: this.ids[this.ids.length - 1 - Math.floor(rnd() * 10)], type: 'blocks' });
    if (deps.length) fields.dependencies = deps;
    if (rnd() < 0.3) fields.labels = Array.from(new Set([pick(WORDS), pick(WORDS)]));
    this.t += 1000;
    const lines = [JSON.stringify({ op_id: originId, bead: id, kind: 'create', actor: 'alice', ts: new Date(this.t).toISOString(), lc: ++this.lc, fields })];
    if (rnd() < 0.5) lines.push(this.op(id, 'set', { fields: { notes: sentence(10) } }, originId));
    if (rnd() < 0.15) lines.push(this.op(id, 'comment', { text: sentence(15) }, originId));
    if (fields.issue_type === 'epic') this.epics.push(id);
    this.ids.push(id);
    if (rnd() < closedShare) {
      lines.push(this.op(id, 'claim', {}, originId));
      lines.push(this.op(id, 'close', { reason: 'done' }, originId));
    } else this.open.push({ id, origin: originId });
    return lines;
  }
  /** What another clone's work looks like when it arrives: new beads plus edits of open ones. */
  foreign(count) {
    const lines = [];
    while (lines.length < count) {
      if (rnd() < 0.5 || !this.open.length) lines.push(...this.bead(0.5));
      else {
        const b = pick(this.open);
        lines.push(this.op(b.id, 'set', { fields: { priority: Math.floor(rnd() * 5) } }, b.origin));
      }
    }
    return lines.slice(0, count);
  }
}

function buildStore(n) {
  const repo = mkdtempSync(join(tmpdir(), `bd-bench-${n}-`));
  spawnSync('git', ['init', '-q', repo]);
  bd(repo, ['init', '--prefix', 'bn']);
  const gen = new Generator('bn');
  const log = join(repo, '.beads', 'ops.jsonl');
  let chunk = [];
  for (let i = 0; i < n; i++) {
    chunk.push(...gen.bead());
    if (chunk.length > 20000) {
      appendFileSync(log, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) appendFileSync(log, chunk.join('\n') + '\n');
  return { repo, gen, log };
}

// ---- timing --------------------------------------------------------------------------------------------
function bd(cwd, argv) {
  const r = spawnSync(process.execPath, [BD, ...argv], { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`bd ${argv.join(' ')}: exit ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function timeOnce(argv, cwd) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs each case RUNS times, interleaved so that machine noise hits all of them alike. */
function measure(cases, cwd) {
  const times = cases.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    cases.forEach((c, i) => {
      c.before?.();
      times[i].push(timeOnce(c.argv, cwd));
    });
  }
  return times.map(median);
}

const rows = [];
function report(size, name, ms, baseline, target) {
  const ratio = ms / baseline;
  const verdict = target === undefined ? '' : ratio <= target ? `ok (<= ${target}x)` : `OVER (target ${target}x)`;
  rows.push({ size, name, ms, ratio, verdict });
  console.log(`${String(size).padStart(7)}  ${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${ratio.toFixed(2).padStart(5)}x  ${verdict}`);
}

console.log(`bench: median of ${RUNS} runs each, interleaved; ratio = median / median of node -e ''\n`);
for (const size of ONLY.includes('stores') ? SIZES : []) {
  const t0 = performance.now();
  const { repo, gen, log } = buildStore(size);
  const genMs = performance.now() - t0;
  const t1 = performance.now();
  bd(repo, ['list', '--limit', '1']); // first command after a clone: the cache is built from the log
  const rebuildMs = performance.now() - t1;
  const someId = gen.ids[Math.floor(gen.ids.length / 3)];
  console.log(`${size} beads: log written in ${(genMs / 1000).toFixed(1)} s; first command (full cache build) ${(rebuildMs / 1000).toFixed(2)} s`);
  // Reads on a store nobody is writing to, as an agent polls it.
  const [base, ready, show] = measure([{ argv: ['-e', ''] }, { argv: [BD, 'ready', '--json'] }, { argv: [BD, 'show', someId, '--json'] }], repo);
  report(size, "node -e ''", base, base);
  report(size, 'bd ready --json', ready, base, 2.5);
  report(size, 'bd show ID --json', show, base, 2.5);
  const [base2, create, readyAfterCreate] = measure(
    [
      { argv: ['-e', ''] },
      { argv: [BD, 'create', 'bench bead', '-p', '2', '--json'] },
      // the next read after a write folds that write into the caches first
      { argv: [BD, 'ready', '--json'], before: () => bd(repo, ['create', 'another bench bead']) },
    ],
    repo,
  );
  report(size, "node -e '' (again)", base2, base2);
  report(size, 'bd create', create, base2, 2.5);
  report(size, 'bd ready --json right after a bd create', readyAfterCreate, base2);
  const [base3, afterAppend] = measure(
    [
      { argv: ['-e', ''] },
      { argv: [BD, 'ready', '--json'], before: () => appendFileSync(log, gen.foreign(1000).join('\n') + '\n') },
    ],
    repo,
  );
  report(size, "node -e '' (again)", base3, base3);
  report(size, 'first bd ready after 1,000 appended ops', afterAppend, base3, 4);
  if (args.includes('--keep')) {
    writeFileSync(join(repo, 'foreign.jsonl'), gen.foreign(1000).join('\n') + '\n');
    console.log(`kept ${repo} (foreign.jsonl: 1,000 more operations to append)`);
  } else rmSync(repo, { recursive: true, force: true });
  console.log('');
}

// ---- two clones, 10,000 operations each while apart, then sync with each other ----------------------------
if (ONLY.includes('sync')) {
  const base = mkdtempSync(join(tmpdir(), 'bd-bench-sync-'));
  const run = (cwd, ...argv) => spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...argv], { cwd, encoding: 'utf8' });
  run(base, 'init', '-q', '--bare', 'remote.git');
  const a = join(base, 'a');
  const b = join(base, 'b');
  run(base, 'clone', '-q', 'remote.git', a);
  bd(a, ['init', '--prefix', 'bn']);
  run(a, 'add', '-A');
  run(a, 'commit', '-qm', 'store');
  run(a, 'push', '-q', 'origin', 'HEAD');
  run(base, 'clone', '-q', 'remote.git', b);
  for (const [dir, who] of [[a, 'a'], [b, 'b']]) {
    seed = who === 'a' ? 7 : 11;
    const gen = new Generator('bn');
    const lines = [];
    while (lines.length < 10_000) lines.push(...gen.bead(0.8));
    appendFileSync(join(dir, '.beads', 'ops.jsonl'), lines.slice(0, 10_000).join('\n') + '\n');
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
  const hashA = JSON.parse(bd(a, ['doctor', '--json'])).hash;
  const hashB = JSON.parse(bd(b, ['doctor', '--json'])).hash;
  const both = second + third;
  console.log(`sync of two clones with 10,000 divergent operations each: ${Math.round(second)} ms (b merges a, pushes) + ${Math.round(third)} ms (a merges b) = ${Math.round(both)} ms (target < 2000 ms) ${both < 2000 ? 'ok' : 'OVER'}; a's first push ${Math.round(first)} ms; hashes ${hashA === hashB ? 'equal' : 'DIFFER'}`);
  if (args.includes('--keep')) console.log(`kept ${base} (clones a and b, remote.git)`);
  else rmSync(base, { recursive: true, force: true });
}

if (!ONLY.includes('import')) {
  /* skipped */
} else if (existsSync(SAMPLE)) {
  const times = [];
  for (let r = 0; r < Math.max(3, Math.min(RUNS, 5)); r++) {
    const repo = mkdtempSync(join(tmpdir(), 'bd-bench-import-'));
    spawnSync('git', ['init', '-q', repo]);
    bd(repo, ['init', '--prefix', 'bd']);
    times.push(timeOnce([BD, 'import', SAMPLE], repo));
    rmSync(repo, { recursive: true, force: true });
  }
  const ms = median(times);
  console.log(`import of the 1,955-issue sample: ${ms.toFixed(0)} ms (target < 2000 ms) ${ms < 2000 ? 'ok' : 'OVER'}`);
} else console.log(`(no ${SAMPLE}: import benchmark skipped)`);

if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(rows, null, 2));
