#!/usr/bin/env node
// npm run chaos: the kernel's proof. A town with two rigs and 50 beads asking for engineer-in-box, scripted
// agents, dispatch auto (max_polecats 4), the refinery batching 4; gt up, and then every 10 s something is
// killed at random: a polecat's runtime (SIGKILL), a polecat's tmux session, a witness, a refinery, or the
// daemon itself (SIGKILL). Nobody acts: the daemon, the witnesses and dispatch must carry every bead to main.
// Done when every bead is closed as merged; then it checks that every bead's commits are on main exactly
// once, no step was closed twice, no merge request of a bead merged twice, no polecat's work was lost, and
// that gt down leaves zero processes; and prints the wall time, the kills, the recoveries by kind and the
// restarts per bead. Exits 1 when a check fails or the deadline passes.
//
// Usage: node scripts/chaos.mjs [--beads N] [--rigs 1|2] [--kill-every DURATION] [--deadline DURATION] [--json] [--keep]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeadStore, listBeads } from '@gastown/beads';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GT = join(ROOT, 'packages', 'cli', 'dist', 'gt.mjs');
const BD = join(ROOT, 'packages', 'cli', 'dist', 'bd.mjs');

const USAGE = `Usage: node scripts/chaos.mjs [options]   (npm run chaos)

A town with scripted agents and dispatch auto works through its beads while something is killed at random
every few seconds; it must finish with every bead merged exactly once and nothing lost.

Options:
  --beads N            beads in all, spread over the rigs (default 50)
  --rigs N             1 or 2 (default 2)
  --kill-every D       a kill this often: 10s, 3s, 500ms (default 10s)
  --deadline D         give up after this long (default 15m)
  --seed N             the random choice of kills (default: the time)
  --json               print the report as one JSON document
  --keep               leave the town's directory (it is printed)
  --help               this text
`;

function parseDuration(text, what) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(String(text));
  if (!m) throw new Error(`${what}: ${JSON.stringify(text)} is not a duration such as 500ms, 10s or 15m`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2]];
}

function parseArgs(argv) {
  const o = { beads: 50, rigs: 2, killEveryMs: 10_000, deadlineMs: 15 * 60_000, seed: Date.now() % 1_000_000, json: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--beads') o.beads = Number(value());
    else if (a === '--rigs') o.rigs = Number(value());
    else if (a === '--kill-every') o.killEveryMs = parseDuration(value(), '--kill-every');
    else if (a === '--deadline') o.deadlineMs = parseDuration(value(), '--deadline');
    else if (a === '--seed') o.seed = Number(value());
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}\n\n${USAGE}`);
  }
  if (!Number.isInteger(o.beads) || o.beads < 1 || o.beads > 500) throw new Error(`--beads: give a whole number from 1 to 500`);
  if (o.rigs !== 1 && o.rigs !== 2) throw new Error(`--rigs: 1 or 2`);
  if (!Number.isInteger(o.seed)) throw new Error(`--seed: a whole number`);
  return o;
}

/** A small deterministic generator (mulberry32), so a seed replays the same choices. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RIG_NAMES = ['alpha', 'beta'];

export function chaosEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GT_|BEADS_DIR$|BD_ACTOR$|CI$)/.test(k)));
  return {
    ...env,
    BD_ACTOR: 'overseer',
    GT_RUNTIME: 'scripted',
    GT_DAEMON_INTERVAL_MS: '1000',
    GT_REFINERY_INTERVAL_MS: '1000',
    GT_WITNESS_INTERVAL_MS: '2000',
    GIT_AUTHOR_NAME: 'chaos',
    GIT_AUTHOR_EMAIL: 'chaos@gastown.invalid',
    GIT_COMMITTER_NAME: 'chaos',
    GIT_COMMITTER_EMAIL: 'chaos@gastown.invalid',
    ...extra,
  };
}

function runTool(env, cwd, tool, args) {
  const r = tool === 'git' || tool === 'tmux' ? spawnSync(tool, args, { cwd, env, encoding: 'utf8' }) : spawnSync(process.execPath, [tool === 'gt' ? GT : BD, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(env, cwd, tool, args) {
  const r = runTool(env, cwd, tool, args);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** A rig's remote: a tiny project whose gate checks that no work file is there twice, with the kernel's settings. */
function sampleRemote(env, base, rig) {
  const seed = join(base, `${rig}-seed`);
  mkdirSync(join(seed, '.gastown'), { recursive: true });
  mkdirSync(join(seed, 'work'));
  writeFileSync(join(seed, 'README.md'), `# ${rig}\n\nA rig of the chaos town: each bead adds its own files under work/.\n`);
  writeFileSync(join(seed, 'work', 'README'), 'one directory per bead\n');
  writeFileSync(join(seed, 'check.sh'), '#!/bin/sh\n# the gate: every work file holds one line\nset -e\ncd "$(dirname "$0")"\nfor f in work/*/*; do [ "$(wc -l < "$f")" -eq 1 ] || { echo "$f: not one line"; exit 1; }; done\n');
  chmodSync(join(seed, 'check.sh'), 0o755);
  const settings = { gates: [{ name: 'check', run: './check.sh' }], batch: 4, dispatch: 'auto', max_polecats: 4, spawn_grace: '3s', stall_after: '30s', max_restarts: 3 };
  writeFileSync(join(seed, '.gastown', 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  must(env, seed, 'git', ['init', '-q', '-b', 'main']);
  must(env, seed, 'git', ['add', '-A']);
  must(env, seed, 'git', ['commit', '-q', '-m', `${rig}: the chaos sample`]);
  const remote = join(base, `${rig}.git`);
  must(env, base, 'git', ['clone', '-q', '--bare', seed, remote]);
  rmSync(seed, { recursive: true, force: true });
  return remote;
}

/** Bead n's description: one code block per step of engineer-in-box, each writing a file of its own. */
function beadBody(n) {
  const dir = `work/b${n}`;
  return [
    `Chaos bead ${n}: its design, code and test files under ${dir}/.`,
    '',
    '```sh step=design',
    `mkdir -p ${dir} && sleep 1 && echo "design of bead ${n}" > ${dir}/design.txt`,
    '```',
    '',
    '```sh step=implement',
    `mkdir -p ${dir} && sleep 1 && echo "code of bead ${n}" > ${dir}/code.txt`,
    '```',
    '',
    '```sh step=test',
    `grep -q "code of bead ${n}" ${dir}/code.txt && echo "test of bead ${n}" > ${dir}/test.txt`,
    '```',
    '',
  ].join('\n');
}

/** The town's processes: every process whose environment names the town (its sessions' tag, or GT_TOWN), and the daemon. */
function townProcesses(townRoot) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`GT_TOWN=${townRoot}`)) out.push({ pid: Number(entry), cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

function sessions(env, socket) {
  const r = runTool(env, '/', 'tmux', ['-L', socket, 'list-panes', '-a', '-F', '#{session_name}\t#{pane_pid}\t#{pane_dead}']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, pid, dead] = l.split('\t');
      return { name, pid: Number(pid), dead: dead === '1' };
    });
}

function kill(pid) {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function chaos(o, say = () => {}) {
  const started = Date.now();
  const base = mkdtempSync(join(tmpdir(), 'gastown-chaos-'));
  const townRoot = join(base, 'town');
  const env = chaosEnv();
  const rigs = RIG_NAMES.slice(0, o.rigs);
  const rand = random(o.seed);
  const report = { seed: o.seed, beads: o.beads, rigs, kill_every_ms: o.killEveryMs, wall_s: 0, finished: false, kills: {}, recoveries: {}, restarts_per_bead: {}, checks: {}, problems: [], town: o.keep ? townRoot : undefined };
  let up = false;
  try {
    must(env, base, 'gt', ['install', townRoot]);
    for (const rig of rigs) must(env, townRoot, 'gt', ['rig', 'add', rig, sampleRemote(env, base, rig)]);
    const beads = [];
    for (let n = 1; n <= o.beads; n++) {
      const rig = rigs[(n - 1) % rigs.length];
      const bead = JSON.parse(must(env, townRoot, 'bd', ['create', `chaos bead ${n}`, '--rig', rig, '-l', 'molecule:engineer-in-box', '-d', beadBody(n), '--json']));
      beads.push({ n, rig, id: bead.id });
    }
    say(`town ${townRoot}: ${rigs.length} rig(s), ${beads.length} beads; gt up, then a kill every ${o.killEveryMs} ms (seed ${o.seed})`);
    up = true;
    must(env, townRoot, 'gt', ['up']);
    // the town's tmux server (agents.ts townSocket): its name and a hash of its path
    const townSocket = `gt-town-${createHash('sha1').update(townRoot).digest('hex').slice(0, 8)}`;
    const storeOf = (rig) => join(townRoot, rig, 'main', '.beads');
    const mergedBeads = () => {
      let done = 0;
      for (const rig of rigs) {
        const list = listBeads(BeadStore.open(storeOf(rig)), { all: true, limit: 0 });
        const closed = new Set(list.filter((b) => b.status === 'closed').map((b) => b.id));
        const merged = new Set(list.filter((b) => b.issue_type === 'merge-request' && b.metadata?.mq?.state === 'merged').map((b) => b.metadata.merge_request.source_bead));
        done += beads.filter((b) => b.rig === rig && closed.has(b.id) && merged.has(b.id)).length;
      }
      return done;
    };
    let nextKill = Date.now() + o.killEveryMs;
    let nextWatch = Date.now();
    const worktrees = new Map();
    let lastSaid = -1;
    for (;;) {
      const done = mergedBeads();
      if (done !== lastSaid) say(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${done}/${beads.length} merged`);
      lastSaid = done;
      if (done === beads.length) break;
      if (Date.now() - started > o.deadlineMs) {
        report.problems.push(`deadline: ${done}/${beads.length} beads merged after ${o.deadlineMs / 1000} s`);
        break;
      }
      if (Date.now() >= nextWatch) {
        nextWatch = Date.now() + 2000;
        watchWorktrees(env, townRoot, rigs, worktrees, report.problems);
      }
      if (Date.now() >= nextKill) {
        nextKill = Date.now() + o.killEveryMs;
        const kind = killOne(env, townRoot, townSocket, rigs, rand);
        if (kind) {
          report.kills[kind] = (report.kills[kind] ?? 0) + 1;
          say(`  killed: ${kind}`);
        }
      }
      await sleep(500);
    }
    report.finished = report.problems.length === 0;
    report.wall_s = Math.round((Date.now() - started) / 100) / 10;
    Object.assign(report, verify(env, townRoot, rigs, beads, storeOf));
    report.problems.push(...report.check_problems);
    delete report.check_problems;
  } finally {
    if (up) {
      const down = runTool(env, townRoot, 'gt', ['down']);
      if (down.code !== 0) report.problems.push(`gt down failed: ${down.stderr.trim()}`);
      const left = townProcesses(townRoot);
      report.checks.processes_after_down = left.length;
      if (left.length) report.problems.push(`after gt down ${left.length} process(es) of the town remain: ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
    }
    if (!o.keep) rmSync(base, { recursive: true, force: true });
  }
  return report;
}

/** A rig's remote (its bare repository). */
function remoteOf(townRoot, rig) {
  return JSON.parse(readFileSync(join(townRoot, 'rigs.json'), 'utf8')).rigs.find((r) => r.name === rig).source;
}

/**
 * No worktree with unpushed work is deleted: every 2 s each polecat worktree's step commits and whether it has
 * uncommitted files are noted; when one disappears, the commits it last had must be on its rig's remote (on
 * any branch), and each file it had not committed must be in some commit there (pushed since, or rescued).
 */
function watchWorktrees(env, townRoot, rigs, seen, problems) {
  for (const rig of rigs) {
    const dir = join(townRoot, rig, 'polecats');
    const now = new Set(existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : []);
    for (const wt of now) {
      const log = runTool(env, wt, 'git', ['log', '--format=%s', '-n', '50', 'HEAD']);
      const status = runTool(env, wt, 'git', ['status', '--porcelain', '--untracked-files=all']);
      if (log.code !== 0 || status.code !== 0) continue; // being made or removed
      const subjects = log.stdout.split('\n').filter((x) => /^(design|implement|test) \(/.test(x));
      // the bead's own files (work/...) changed and not committed; gt's own files do not count
      const dirty = status.stdout.split('\n').map((l) => l.slice(3).trim()).filter((path) => path.startsWith('work/'));
      seen.set(wt, { rig, name: wt.slice(dir.length + 1), subjects, dirty });
    }
    for (const [wt, last] of seen) {
      if (last.rig !== rig || now.has(wt)) continue;
      seen.delete(wt);
      const remote = remoteOf(townRoot, rig);
      const onRemote = new Set(must(env, townRoot, 'git', ['-C', remote, 'log', '--all', '--format=%s']).split('\n'));
      const lost = last.subjects.filter((x) => !onRemote.has(x));
      if (lost.length) problems.push(`worktree ${wt} was deleted with commits that are on no branch of the remote: ${lost.join('; ')}`);
      // an uncommitted file seen last time must be in some commit of the remote by now (committed and pushed
      // after the look, or rescued to rescue/<polecat>-*)
      const unsaved = last.dirty.filter((path) => !must(env, townRoot, 'git', ['-C', remote, 'log', '--all', '-n', '1', '--format=%H', '--', path]).trim());
      if (unsaved.length) problems.push(`worktree ${wt} was deleted with uncommitted changes that are in no commit of the remote: ${unsaved.join(', ')}`);
    }
  }
}

/** Kills one thing at random among those there are now; the kind killed, or null when there was nothing. */
function killOne(env, townRoot, socket, rigs, rand) {
  const all = sessions(env, socket);
  const polecats = all.filter((s) => /-polecat-/.test(s.name) && !s.dead);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const kinds = [];
  if (polecats.length) kinds.push('polecat_runtime', 'polecat_session');
  const standing = (role) => all.filter((s) => s.name.endsWith(`-${role}`) && !s.dead);
  if (standing('witness').length) kinds.push('witness');
  if (standing('refinery').length) kinds.push('refinery');
  const pidfile = join(townRoot, '.gt', 'daemon', 'daemon.pid');
  // the pidfile's pid only while it is the daemon (its nonce in its environment): a dead daemon's pid may be reused
  const record = existsSync(pidfile) ? JSON.parse(readFileSync(pidfile, 'utf8')) : null;
  let daemonPid = null;
  try {
    if (record && readFileSync(`/proc/${record.pid}/environ`, 'utf8').split('\0').includes(`GT_DAEMON_NONCE=${record.nonce}`)) daemonPid = record.pid;
  } catch {
    /* gone */
  }
  if (daemonPid) kinds.push('daemon');
  if (!kinds.length) return null;
  const kind = pick(kinds);
  if (kind === 'polecat_runtime') return kill(pick(polecats).pid) ? kind : null;
  if (kind === 'polecat_session') return runTool(env, '/', 'tmux', ['-L', socket, 'kill-session', '-t', `=${pick(polecats).name}`]).code === 0 ? kind : null;
  if (kind === 'witness' || kind === 'refinery') {
    const s = pick(standing(kind));
    // half the time the runtime (the pane stays, dead), half the session
    if (rand() < 0.5) return kill(s.pid) ? `${kind}_runtime` : null;
    return runTool(env, '/', 'tmux', ['-L', socket, 'kill-session', '-t', `=${s.name}`]).code === 0 ? `${kind}_session` : null;
  }
  return kill(daemonPid) ? 'daemon' : null;
}

/** The checks once every bead merged (or the deadline passed). */
function verify(env, townRoot, rigs, beads, storeOf) {
  const checks = {};
  const problems = [];
  const restarts = {};
  const recoveries = {};
  let mergedTwice = 0;
  let stepsClosedTwice = 0;
  let commitsNotOnce = 0;
  for (const rig of rigs) {
    const store = BeadStore.open(storeOf(rig));
    const list = listBeads(store, { all: true, limit: 0 });
    const mine = beads.filter((b) => b.rig === rig);
    // no merge request of a bead merged twice
    for (const b of mine) {
      const merged = list.filter((x) => x.issue_type === 'merge-request' && x.metadata?.merge_request?.source_bead === b.id && x.metadata?.mq?.state === 'merged');
      if (merged.length > 1) {
        mergedTwice++;
        problems.push(`${b.id} has ${merged.length} merged merge requests: ${merged.map((m) => m.id).join(', ')}`);
      }
      // the witness's actions on the bead, from its history (a release sets the count back to 0, so count
      // the distinct times each action recorded)
      const times = { restart: new Set(), nudge: new Set(), release: new Set() };
      for (const op of store.history(b.id)) {
        const w = op.metadata?.witness;
        if (!w || typeof w !== 'object') continue;
        if (w.last_restart_at) times.restart.add(w.last_restart_at);
        if (w.nudged_at) times.nudge.add(w.nudged_at);
        if (w.released_at) times.release.add(w.released_at);
      }
      restarts[b.id] = times.restart.size;
      for (const [action, set] of Object.entries(times)) if (set.size) recoveries[`polecat_${action}`] = (recoveries[`polecat_${action}`] ?? 0) + set.size;
    }
    // no step closed twice: each step's history holds at most one close
    const steps = list.filter((x) => x.metadata?.step !== undefined && x.issue_type !== 'molecule');
    for (const s of steps) {
      const closes = store.history(s.id).filter((op) => op.kind === 'close').length;
      if (closes > 1) {
        stepsClosedTwice++;
        problems.push(`step ${s.id} was closed ${closes} times`);
      }
    }
    // every bead's commits on main exactly once (by subject: the scripted polecat commits each step as "<step> (<bead>): <title>")
    const remote = remoteOf(townRoot, rig);
    const subjects = must(env, townRoot, 'git', ['-C', remote, 'log', '--format=%s', 'main']).split('\n');
    for (const b of mine) {
      for (const step of ['design', 'implement', 'test']) {
        const n = subjects.filter((s) => s.startsWith(`${step} (${b.id}):`)).length;
        if (n !== 1) {
          commitsNotOnce++;
          problems.push(`${b.id}'s ${step} commit is on ${rig}'s main ${n} times`);
        }
      }
    }
    // rescued work is on the remote (never deleted)
    const rescues = must(env, townRoot, 'git', ['-C', remote, 'branch', '--list', 'rescue/*']).split('\n').filter(Boolean);
    recoveries.rescue_branches = (recoveries.rescue_branches ?? 0) + rescues.length;
  }
  for (const [kind, n] of Object.entries(kernelRecoveries(townRoot))) recoveries[kind] = (recoveries[kind] ?? 0) + n;
  checks.merged_twice = mergedTwice;
  checks.steps_closed_twice = stepsClosedTwice;
  checks.commits_not_exactly_once = commitsNotOnce;
  const counts = Object.values(restarts);
  const histogram = {};
  for (const c of counts) histogram[c] = (histogram[c] ?? 0) + 1;
  return { checks, recoveries, restarts_per_bead: { max: Math.max(0, ...counts), mean: counts.length ? Math.round((counts.reduce((a, b) => a + b, 0) / counts.length) * 100) / 100 : 0, histogram }, check_problems: problems };
}

/**
 * The daemon's recoveries: each service's restarts (from its bead's history: the distinct restart times its
 * backoff state recorded), by role; and the daemon's own restarts (a "daemon up" line in its log after the first).
 */
function kernelRecoveries(townRoot) {
  const out = {};
  const store = BeadStore.open(join(townRoot, '.beads'));
  for (const svc of listBeads(store, { all: true, limit: 0 }).filter((b) => b.issue_type === 'service')) {
    const times = new Set();
    for (const op of store.history(svc.id)) for (const t of op.metadata?.service_state?.restarts ?? []) times.add(t);
    const role = svc.metadata?.service?.kind === 'agent' ? String(svc.metadata.service.address).split('/').pop() : 'command';
    if (times.size) out[`${role}_restart`] = (out[`${role}_restart`] ?? 0) + times.size;
  }
  const dir = join(townRoot, '.gt', 'daemon');
  let ups = 0;
  if (existsSync(dir)) for (const f of readdirSync(dir).filter((x) => x.startsWith('daemon.log'))) ups += readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => / daemon up: /.test(l)).length;
  if (ups > 1) out.daemon_restart = ups - 1;
  return out;
}

function print(r) {
  const lines = [
    `chaos: ${r.beads} beads over ${r.rigs.length} rig(s), a kill every ${r.kill_every_ms / 1000} s (seed ${r.seed})`,
    `wall time          ${r.wall_s} s${r.finished ? '' : ' (did not finish)'}`,
    `kills              ${Object.entries(r.kills).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'} (${Object.values(r.kills).reduce((a, b) => a + b, 0)} in all)`,
    `recoveries         ${Object.entries(r.recoveries).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `restarts per bead  max ${r.restarts_per_bead.max}, mean ${r.restarts_per_bead.mean}; beads by restarts: ${Object.entries(r.restarts_per_bead.histogram ?? {}).map(([k, n]) => `${k}: ${n}`).join(', ')}`,
    `checks             merged twice ${r.checks.merged_twice}, steps closed twice ${r.checks.steps_closed_twice}, commits not on main exactly once ${r.checks.commits_not_exactly_once}, processes after gt down ${r.checks.processes_after_down}`,
    r.problems.length ? `PROBLEMS:\n  ${r.problems.join('\n  ')}` : 'no problems',
  ];
  if (r.town) lines.push(`town kept at ${r.town}`);
  process.stdout.write(lines.join('\n') + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`chaos: ${err.message}\n`);
    process.exit(2);
  }
  if (o.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!existsSync(GT)) {
    process.stderr.write('chaos: packages/cli/dist/gt.mjs is missing: run npm run build first\n');
    process.exit(2);
  }
  const r = await chaos(o, o.json ? () => {} : (line) => process.stderr.write(`${line}\n`));
  if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
  else print(r);
  process.exit(r.problems.length ? 1 : 0);
}
