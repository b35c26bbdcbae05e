// The refinery's merge queue: 20 merge requests on the demo's sample repository, drained by refineryRun
// in-process, for batch 1, 4 and 8 at 0% and 10% culprits. The gate sleeps 0.5 s and fails when the tree holds
// a culprit's file. Printed per configuration: the drain time, gate runs, merged, gate runs per merged merge
// request and the refinery's own time per merge request (the drain less the gate runs' recorded durations),
// with the two budgets of issue 12; then where that own time went (spawns by command, store calls, the rest).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BeadStore, claimBead, createBead, listBeads } from '@gastown/beads';
import { addRig, agentFor, installTown, readTown, refineryRun, rigPaths, sendMail } from '@gastown/gastown';
import { ROOT, env, git, median, within } from './run.mjs';

const MRS = 20;
const RIG = 'calc';
const GATE = `sleep 0.5; if ls bench | grep -q 'culprit'; then echo "a culprit's file is in the tree"; exit 1; fi`;
/** Culprits by share: 10% is 2 of 20, the 5th and the 15th filed (1-based). */
const CULPRITS = { 0: [], 10: [5, 15] };
const BATCHES = [1, 4, 8];
const BUDGET_RUNS_PER_MERGED = 0.6; // batch 8, 10% culprits
const BUDGET_OWN_MS = 1000; // per merge request, batch 1

/** The sample project (templates/demo/rig) with the bench's settings committed, as a bare remote. */
function sampleRemote(dir, batch) {
  const sample = join(dir, 'sample');
  cpSync(join(ROOT, 'templates', 'demo', 'rig'), sample, { recursive: true });
  mkdirSync(join(sample, '.gastown'), { recursive: true }); // the demo's rig commits one of its own
  mkdirSync(join(sample, 'bench'));
  writeFileSync(join(sample, 'bench', 'README'), 'one file per merge request\n');
  writeFileSync(join(sample, '.gastown', 'settings.json'), JSON.stringify({ gates: [{ name: 'bench', run: GATE }], batch, max_reworks: 0 }, null, 2) + '\n');
  git(sample, 'init', '-q', '-b', 'main');
  git(sample, 'add', '-A');
  git(sample, 'commit', '-q', '-m', 'calc: the sample, with the bench gate');
  const remote = join(dir, 'remote.git');
  git(dir, 'clone', '-q', '--bare', sample, remote);
  return remote;
}

/** MR i's branch: one commit adding a file of its own (a culprit's file is named so the gate finds it). */
function pushBranches(dir, remote, culprits) {
  const work = join(dir, 'work');
  git(dir, 'clone', '-q', remote, work);
  const branches = [];
  for (let i = 1; i <= MRS; i++) {
    const n = String(i).padStart(2, '0');
    const branch = `polecat/p${n}`;
    git(work, 'checkout', '-q', '-b', branch, 'origin/main');
    writeFileSync(join(work, 'bench', culprits.includes(i) ? `change-${n}.culprit` : `change-${n}.txt`), `change ${i}\n`);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', `bench: change ${i}`);
    branches.push({ i, name: `p${n}`, branch, commit: git(work, 'rev-parse', 'HEAD').trim() });
  }
  git(work, 'push', '-q', 'origin', ...branches.map((b) => b.branch));
  return branches;
}

/** What gt done files for each branch: a source bead on the polecat's hook, the merge request, the two mails. */
function fileMergeRequests(town, branches, remote) {
  const store = BeadStore.open(rigPaths(town, RIG).store);
  const target = 'main';
  const t0 = Date.now() - 60_000;
  const ids = new Map();
  for (const b of branches) {
    // the polecat's place (its worktree in a real town): mail is addressed to polecats the rig has
    mkdirSync(join(rigPaths(town, RIG).polecats, b.name));
    const worker = agentFor(town, 'polecat', RIG, b.name).address;
    const source = createBead(store, 'bench', { title: `bench change ${b.i}`, issue_type: 'task', priority: 2 });
    claimBead(store, worker, source.id);
    const mr = createBead(store, worker, {
      title: `Merge ${b.branch}: bench change ${b.i}`,
      description: `${worker} finished ${source.id} on ${b.branch} (${b.commit.slice(0, 12)}); merge it into ${target}.`,
      issue_type: 'merge-request',
      priority: 2,
      metadata: {
        merge_request: { branch: b.branch, target, source_bead: source.id, worker, commit: b.commit, remote },
        // queued a millisecond apart, so the queue's order is the filing order
        mq: { state: 'queued', queued_at: new Date(t0 + b.i).toISOString(), retries: 0, reworks: 0, attempts: [] },
      },
      deps: [{ type: 'related', id: source.id }],
    });
    for (const role of ['refinery', 'witness']) sendMail(town, worker, agentFor(town, role, RIG).address, `Merge request ${mr.id}: ${b.branch}`, `${worker} finished ${source.id}: ${mr.id}.`);
    ids.set(mr.id, b.i);
  }
  return ids;
}

// ---------- where the refinery's own time goes: exclusive time of spawns (by command) and store calls ----------

const profile = { on: false, stack: [], buckets: new Map() };

function timed(name, fn) {
  if (!profile.on) return fn();
  const frame = { start: performance.now(), child: 0 };
  profile.stack.push(frame);
  try {
    return fn();
  } finally {
    profile.stack.pop();
    const elapsed = performance.now() - frame.start;
    const b = profile.buckets.get(name) ?? { count: 0, ms: 0 };
    b.count++;
    b.ms += elapsed - frame.child;
    profile.buckets.set(name, b);
    if (profile.stack.length) profile.stack.at(-1).child += elapsed;
  }
}

function spawnName(cmd, args) {
  if (cmd === 'git') return `git ${args.find((a) => !a.startsWith('-')) ?? ''}`;
  if (args.some((a) => a === GATE)) return 'gate (bash, recorded as gate time)';
  return cmd;
}

function instrument() {
  const cp = createRequire(import.meta.url)('node:child_process');
  const spawnSync = cp.spawnSync;
  cp.spawnSync = (cmd, args = [], options) => timed(`spawn ${spawnName(cmd, Array.isArray(args) ? args : [])}`, () => spawnSync(cmd, args, options));
  syncBuiltinESMExports();
  for (const method of ['write', 'view', 'get', 'state']) {
    const original = BeadStore.prototype[method];
    BeadStore.prototype[method] = function (...a) {
      return timed(`store.${method}`, () => original.apply(this, a));
    };
  }
}

// ---------- one configuration ----------

function runOnce(batch, share, keep) {
  const dir = mkdtempSync(join(tmpdir(), 'gt-bench-refinery-'));
  try {
    const remote = sampleRemote(dir, batch);
    const root = join(dir, 'town');
    installTown(root, { name: 'bench' });
    addRig(readTown(root), RIG, remote);
    const town = readTown(root);
    const culprits = CULPRITS[share];
    const ids = fileMergeRequests(town, pushBranches(dir, remote, culprits), remote);
    profile.buckets = new Map();
    profile.on = true;
    const t0 = performance.now();
    const result = refineryRun(town, RIG, { once: true });
    const drainMs = performance.now() - t0;
    profile.on = false;
    const store = BeadStore.open(rigPaths(town, RIG).store);
    const mrs = listBeads(store, { issue_type: ['merge-request'], all: true, limit: 0 });
    // a batch's gate run is recorded on every merge request it covered: each run counted once
    const runs = new Map();
    for (const b of mrs) for (const a of b.metadata.mq.attempts) for (const r of a.runs) runs.set(`${r.at} ${r.tree} ${r.gate}`, r.duration_ms);
    const gateMs = [...runs.values()].reduce((s, x) => s + x, 0);
    const merged = mrs.filter((b) => b.metadata.mq.state === 'merged').length;
    const rejected = mrs.filter((b) => b.metadata.mq.state === 'rejected').map((b) => ids.get(b.id)).sort((a, b) => a - b);
    const processed = mrs.filter((b) => b.status === 'closed').length;
    if (processed !== MRS) throw new Error(`bench: the refinery left ${MRS - processed} of ${MRS} merge requests open`);
    if (runs.size !== result.gate_runs) throw new Error(`bench: ${runs.size} gate runs recorded on the merge requests, the refinery counted ${result.gate_runs}`);
    if (rejected.join() !== culprits.join()) throw new Error(`bench: rejected MRs ${rejected.join(', ') || 'none'}, the culprits are ${culprits.join(', ') || 'none'}`);
    const landed = git(remote, 'ls-tree', '--name-only', 'main', 'bench/').split('\n').filter((f) => /change-/.test(f)).length;
    if (landed !== merged) throw new Error(`bench: ${merged} merged, ${landed} changes on the remote's main`);
    return { drainMs, gateMs, gateRuns: result.gate_runs, merged, processed, ownMs: (drainMs - gateMs) / processed, buckets: profile.buckets };
  } finally {
    if (keep) console.log(`  (kept ${dir})`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function printProfile(label, r) {
  const rows = [...r.buckets].sort((a, b) => b[1].ms - a[1].ms);
  const counted = rows.reduce((s, [, b]) => s + b.ms, 0);
  console.log(`\n  where the drain went, ${label} (exclusive ms over the drain of ${r.processed} MRs; per MR in brackets):`);
  for (const [name, b] of rows) if (b.ms >= 5) console.log(`    ${name.padEnd(44)} ${String(b.count).padStart(5)} calls ${b.ms.toFixed(0).padStart(7)} ms  (${(b.ms / r.processed).toFixed(0)} ms/MR)`);
  const rest = r.drainMs - counted;
  console.log(`    ${'the rest (JSON, folding, fs, the engine)'.padEnd(44)} ${''.padStart(11)} ${rest.toFixed(0).padStart(7)} ms  (${(rest / r.processed).toFixed(0)} ms/MR)`);
}

export function benchRefinery({ runs = 1, keep = false, profile: showProfile = true } = {}) {
  Object.assign(process.env, env);
  instrument();
  console.log(`\nrefinery: ${MRS} MRs, gate \`sleep 0.5\` failing on a culprit's file; culprits at 10%: MRs ${CULPRITS[10].join(' and ')} (of 1-${MRS}); max_reworks 0 (a culprit is rejected); median of ${runs} run(s)`);
  console.log(`  ${'batch'.padStart(5)} ${'culprits'.padStart(8)} ${'drain'.padStart(8)} ${'gate'.padStart(8)} ${'runs'.padStart(5)} ${'merged'.padStart(6)} ${'runs/merged'.padStart(11)} ${'own/MR'.padStart(8)}`);
  const results = [];
  for (const batch of BATCHES) {
    for (const share of [0, 10]) {
      const all = [];
      for (let k = 0; k < runs; k++) all.push(runOnce(batch, share, keep));
      const pick = (f) => median(all.map(f));
      const r = { batch, share, drainMs: pick((x) => x.drainMs), gateMs: pick((x) => x.gateMs), gateRuns: pick((x) => x.gateRuns), merged: pick((x) => x.merged), ownMs: pick((x) => x.ownMs), sample: all[0] };
      r.perMerged = r.gateRuns / r.merged;
      const verdicts = [];
      if (batch === 8 && share === 10) verdicts.push(`runs/merged budget ${BUDGET_RUNS_PER_MERGED} ${within(r.perMerged, BUDGET_RUNS_PER_MERGED)}`);
      if (batch === 1) verdicts.push(`own/MR budget ${BUDGET_OWN_MS} ms ${within(r.ownMs, BUDGET_OWN_MS)}`);
      console.log(`  ${String(batch).padStart(5)} ${`${share}%`.padStart(8)} ${`${(r.drainMs / 1000).toFixed(1)} s`.padStart(8)} ${`${(r.gateMs / 1000).toFixed(1)} s`.padStart(8)} ${String(r.gateRuns).padStart(5)} ${String(r.merged).padStart(6)} ${r.perMerged.toFixed(2).padStart(11)} ${`${r.ownMs.toFixed(0)} ms`.padStart(8)}  ${verdicts.join('; ')}`);
      results.push(r);
    }
  }
  if (showProfile) for (const r of results.filter((x) => x.batch === 1)) printProfile(`batch 1, ${r.share}% culprits${runs > 1 ? ', its first run' : ''}`, r.sample);
  return results;
}
