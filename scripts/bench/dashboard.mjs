// gt dashboard at the issue's size: a town whose rig holds 100,000 beads (busy-store.mjs) and 50 agents (the
// mayor, the rig's witness and refinery, 47 polecats, 20 of them with a bead on the hook), each in a real tmux
// session on the town's own server (`tmux -L`, a socket named after the town's path), which is stopped at the
// end, whatever happens. Measured, each a median with its sample count, beside `node -e ''` in the same run:
// the first load (the live source's first snapshot from its worker thread, then Ink's first frame); a refresh
// after a change (a `bd update` of a bead on screen, then the live source asked for a snapshot, until the frame
// shows the new title; and the same through the log watcher, its 150 ms debounce included); and key presses
// to the screen (j, tab, `/` and a filter typed over the 100,000-bead snapshot, until Ink writes the frame).
// Ink draws into a terminal-like stream (a TTY of 120x40 that records each write), not its debug mode, so
// its render throttle and log-update are on the path as in a terminal. React's production build unless
// NODE_ENV names another; the key presses are measured again, fewer, in a process of React's development
// build, the one gt dashboard loads today (nothing sets NODE_ENV). The targets: refresh < 100 ms, key < 50 ms.
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { BeadStore, hookBead, listBeads } from '@gastown/beads';
import { DEFAULT_WORK_MOLECULE, HOOK_MOLECULE_KEY, addRig, agentFor, installTown, readTown, rigPaths, stopAgents, townAgents, townSocket } from '@gastown/gastown';
import { keyedId, pourMolecule } from '@gastown/molecules';
import { buildBusyStore, storeShape } from './busy-store.mjs';
import { NODE_BASELINE, ROOT, bd, env, git, median, rows as benchRows, timeNode, within } from './run.mjs';

const RIG = 'alpha';
const AGENTS = 50;
const HOOKED = 20;
const COLUMNS = 120;
const ROWS = 40;
const TARGET_REFRESH_MS = 100;
const TARGET_KEY_MS = 50;

// ---------- the town: one rig of a busy store, 50 agents in tmux ----------

function tmux(socket, args) {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`tmux ${args[0]}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The town, its rig's store of `size` beads, the agents' places and sessions. */
export function buildTown(dir, size) {
  const source = join(dir, 'source');
  mkdirSync(source);
  git(source, 'init', '-q', '-b', 'main');
  writeFileSync(join(source, 'README'), 'the dashboard benchmark\'s rig\n');
  git(source, 'add', '-A');
  git(source, 'commit', '-q', '-m', 'bench: a rig');
  const root = join(dir, 'town');
  installTown(root, { name: 'bench' });
  addRig(readTown(root), RIG, source, { prefix: 'bn' });
  const town = readTown(root);
  const { clone, store: storeDir, polecats } = rigPaths(town, RIG);
  // the rig's store, made again by the busy-store builder (bd init, the generator's log, bd migrate)
  rmSync(storeDir, { recursive: true, force: true });
  const built = buildBusyStore(clone, size, { init: false });
  const t0 = performance.now();
  bd(clone, ['list', '-n', '1']); // the full cache build, once, as after a clone
  const buildMs = performance.now() - t0;
  const names = Array.from({ length: AGENTS - 3 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
  for (const n of names) mkdirSync(join(polecats, n));
  const store = BeadStore.open(storeDir);
  // 20 polecats at work, hooked as gt sling hooks them: the molecule recorded on the hook, then poured under the bead
  const ready = listBeads(store, { status: ['open'], limit: 0 }).filter((b) => b.issue_type === 'task').slice(0, HOOKED);
  const catalog = { rigRoot: clone, townRoot: root };
  names.slice(0, HOOKED).forEach((n, i) => {
    const address = agentFor(town, 'polecat', RIG, n).address;
    const key = `sling:${ready[i].id}:${n}`;
    hookBead(store, 'bench', ready[i].id, address, { [HOOK_MOLECULE_KEY]: keyedId(store.idPrefix, DEFAULT_WORK_MOLECULE, key) });
    pourMolecule(store, 'bench', DEFAULT_WORK_MOLECULE, { catalog, vars: { bead: ready[i].id }, key, parent: ready[i].id, assignee: address });
  });
  const agents = townAgents(town);
  if (agents.length !== AGENTS) throw new Error(`bench: the town has ${agents.length} agents, not ${AGENTS}`);
  const socket = townSocket(town);
  for (const a of agents) tmux(socket, ['-f', '/dev/null', 'new-session', '-d', '-s', a.session, '-c', root, 'sleep 86400']);
  return { town, root, clone, built, buildMs };
}

/** gt down's end of the town's agents: every session, what their panes started, the server and its socket. */
export function stopTown(town, socket) {
  try {
    stopAgents(town);
  } catch {
    spawnSync('tmux', ['-L', socket, 'kill-server'], { env, stdio: 'ignore' });
  }
}

// ---------- a terminal for Ink: a TTY stream that records each write ----------

/** stdout as Ink sees a terminal of 120x40: each write is a frame (log-update writes the whole output). */
class Terminal extends EventEmitter {
  isTTY = true;
  columns = COLUMNS;
  rows = ROWS;
  writes = 0;
  last = '';
  waiters = [];
  write = (chunk) => {
    this.writes++;
    this.last = String(chunk);
    const at = performance.now();
    this.waiters = this.waiters.filter((w) => (w.test(this.last) ? (w.resolve(at), false) : true));
    return true;
  };
  /** When the next write that passes `test` lands (its time), or a rejection after `timeoutMs`. */
  next(test = () => true, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const w = { test, resolve: (at) => (clearTimeout(timer), resolve(at)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`bench: no frame came within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

/** stdin as Ink reads a terminal's: raw mode, 'readable' then read(). */
class Keyboard extends EventEmitter {
  isTTY = true;
  data = null;
  press(data) {
    this.data = data;
    this.emit('readable');
  }
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

/** A source that hands over one snapshot and never another: key presses alone change the screen. */
class StillSource {
  watch() {
    return () => {};
  }
  refresh() {}
  detail() {
    return Promise.resolve([]);
  }
  act() {
    return Promise.reject(new Error('the benchmark does not act'));
  }
}

/** The dashboard's modules as gt dashboard loads them (the compiled package), with Ink and React. */
export async function loadDashboard() {
  delete process.env.CI; // Ink draws only the last frame under CI
  process.env.NODE_ENV ??= 'production'; // React's build: see reactBuild
  const dist = (f) => pathToFileURL(join(ROOT, 'packages', 'dashboard', 'dist', f)).href;
  const [dashboard, { App }, { ThemeContext }, ink, react] = await Promise.all([import('@gastown/dashboard'), import(dist('app.js')), import(dist('theme.js')), import('ink'), import('react')]);
  /** Renders the app as runScreen does, into a terminal and a keyboard of the benchmark's. */
  const draw = (source, state, term, keys) =>
    ink.render(react.createElement(ThemeContext.Provider, { value: { colors: true } }, react.createElement(App, { source, initial: state })), { stdout: term, stdin: keys, exitOnCtrlC: false, patchConsole: false });
  return { ...dashboard, draw };
}

// ---------- measuring ----------

const lines = [];

/** Prints a figure: median, its sample count, its ratio to `node -e ''` of the same runs, and its target. */
function figure(name, samples, base, target) {
  const ms = median(samples);
  const ratio = ms / base;
  const verdict = target === undefined ? '' : `target < ${target} ms ${within(ms, target - 1e-9)}`;
  benchRows.push({ size: 'dashboard', name, ms, ratio, budget: target, verdict, samples: samples.length });
  lines.push({ name, ms, n: samples.length, ratio, verdict });
  console.log(`  ${name.padEnd(62)} ${ms.toFixed(1).padStart(8)} ms  n=${String(samples.length).padEnd(3)} ${ratio.toFixed(2).padStart(5)}x  ${verdict}`);
}

const baseline = (times) => times.push(timeNode(NODE_BASELINE, ROOT));

/** Waits until no frame has been written for `quietMs` (at most `maxMs`). */
async function quiet(term, quietMs = 300, maxMs = 5000) {
  const end = performance.now() + maxMs;
  let seen = term.writes;
  for (;;) {
    await sleep(quietMs);
    if (term.writes === seen || performance.now() > end) return;
    seen = term.writes;
  }
}

/** The first load, as gt dashboard does it: a reader, the live source's first snapshot (its worker's), the first frame. */
export async function firstLoads(d, town, runs) {
  const base = [];
  const snap = [];
  const frame = [];
  for (let r = 0; r < runs; r++) {
    baseline(base);
    const reader = new d.TownReader(town, { feed: d.townFeed(town) });
    const source = new d.LiveSource(reader);
    const term = new Terminal();
    const t0 = performance.now();
    const first = await source.first();
    const t1 = performance.now();
    const drawn = term.next();
    const ink = d.draw(source, d.initialState(first), term, new Keyboard());
    const t2 = await drawn;
    snap.push(t1 - t0);
    frame.push(t2 - t0);
    await quiet(term); // the watch's own first refresh
    ink.unmount(); // stops the watch and its worker
    ink.cleanup();
  }
  return { base, snap, frame };
}

const visibleTitle = (title) => (text) => text.includes(title);

/**
 * Refreshes after a change: `bd update` of the bead in the first Work row (untimed), then either the live source
 * asked at once (as after an action) or its log watcher left to see it; timed until the frame shows the title.
 */
export async function refreshes(d, town, clone, runs) {
  const reader = new d.TownReader(town, { feed: d.townFeed(town) });
  const source = new d.LiveSource(reader);
  // the worker's part of each refresh: when the live source's read began and ended
  let readAt = 0;
  let readMs = 0;
  const read = source.read.bind(source);
  source.read = async () => {
    readAt = performance.now();
    const s = await read();
    readMs = performance.now() - readAt;
    return s;
  };
  const first = await source.first();
  const state = { ...d.initialState(first), pane: 'work' };
  const id = d.paneRows(first, 'work')[0].id;
  const term = new Terminal();
  const drawn = term.next();
  const ink = d.draw(source, state, term, new Keyboard());
  await drawn;
  await quiet(term, 500);
  const base = [];
  const asked = [];
  const askedRead = [];
  const watched = [];
  let n = 0;
  try {
    for (let r = 0; r < runs; r++) {
      baseline(base);
      let title = `bench refresh ${++n}`;
      bd(clone, ['update', id, '--title', title]);
      let shown = term.next(visibleTitle(title));
      const t0 = performance.now();
      source.refresh();
      asked.push((await shown) - t0);
      askedRead.push(readMs);
      await quiet(term, 400); // the watcher's own refresh of the same change
      title = `bench refresh ${++n}`;
      shown = term.next(visibleTitle(title));
      bd(clone, ['update', id, '--title', title]);
      const t1 = performance.now();
      watched.push((await shown) - t1);
      await quiet(term, 400);
    }
  } finally {
    ink.unmount();
    ink.cleanup();
  }
  return { base, asked, askedRead, watched };
}

/** Key presses to the screen on a still snapshot: each key, then the next frame Ink writes. */
export async function keyPresses(d, snap, samples) {
  const term = new Terminal();
  const keys = new Keyboard();
  const drawn = term.next();
  const ink = d.draw(new StillSource(), { ...d.initialState(snap), pane: 'work' }, term, keys);
  await drawn;
  await quiet(term, 200);
  // each group of presses leaves the screen as it found it (Work focused, no filter), so the groups repeat
  const groups = [
    [['j', 'j (next row, Work)'], ['k', 'k (previous row)']],
    [['\t', 'tab (next pane)'], ['3', '3 (back to Work)']],
    [['G', 'G (last row: the last page of Work)'], ['g', 'g (first row)']],
    [['/', '/ (filter)'], ['m', "filter typed: 'm'"], ['e', "filter typed: 'me'"], ['r', "filter typed: 'mer'"], ['\x7f', 'backspace'], ['\x1b', 'esc (filter as it was)']],
  ];
  const times = new Map(groups.flat().map(([, name]) => [name, []]));
  const base = [];
  try {
    for (let r = 0; r < samples; r++) {
      baseline(base);
      for (const group of groups) {
        for (const [key, name] of group) {
          const shown = term.next();
          const t0 = performance.now();
          keys.press(key);
          times.get(name).push((await shown) - t0);
          await sleep(40); // past Ink's render throttle (30 frames a second), so each press draws at once
        }
      }
    }
  } finally {
    ink.unmount();
    ink.cleanup();
  }
  return { base, times };
}

/** The snapshot with its Work list grown to `n` rows: every one of the 100,000 beads a row (the worst case). */
export function everyBeadAWorkRow(d, snap, n) {
  const work = [...snap.work];
  for (let i = 0; work.length < n; i++) {
    const w = snap.work[i % snap.work.length];
    work.push({ ...w, id: `${w.id}x${i}`, title: `${w.title} (${i})` });
  }
  const parts = { agents: snap.agents, work, queue: snap.queue, mail: snap.mail };
  return { ...snap, work, counts: d.countsOf(parts) };
}

// ---------- the benchmark ----------

export async function benchDashboard({ size = 100_000, runs = 11, keep = false } = {}) {
  Object.assign(process.env, env);
  const dir = mkdtempSync(join(tmpdir(), 'gt-bench-dashboard-'));
  // the town's sessions end whatever happens, a build that failed half way included
  const stop = () => {
    let town;
    try {
      town = readTown(join(dir, 'town'));
    } catch {
      return; // no town: no sessions
    }
    stopTown(town, townSocket(town));
  };
  const onSignal = (sig) => {
    stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const t0 = performance.now();
    const built = buildTown(dir, size);
    const { town, clone } = built;
    const d = await loadDashboard();
    const snap = new d.TownReader(town).snapshot();
    console.log(`\ndashboard: ${size} beads in rig ${RIG} (${(built.built.logBytes / 1e6).toFixed(0)} MB log, ${built.built.layout}), ${snap.agents.length} agents in tmux (${HOOKED} with hooked work); built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`  ${storeShape(clone, size)}; the snapshot: ${snap.work.length} Work rows, ${snap.problems.length} problems, terminal ${COLUMNS}x${ROWS}`);
    console.log(`  median of n samples; ratio = median / median of node -e '' in the same runs`);

    const load = await firstLoads(d, town, Math.max(3, Math.min(runs, 7)));
    const loadBase = median(load.base);
    figure("node -e ''", load.base, loadBase);
    figure('first load: the live source\'s first snapshot (its worker\'s)', load.snap, loadBase);
    figure('first load: to the first frame', load.frame, loadBase);

    const refresh = await refreshes(d, town, clone, runs);
    const refreshBase = median(refresh.base);
    figure("node -e '' (again)", refresh.base, refreshBase);
    figure('refresh after a bd update, asked at once: to the frame', refresh.asked, refreshBase, TARGET_REFRESH_MS);
    figure('  of which the worker\'s snapshot (the read, to its message)', refresh.askedRead, refreshBase);
    figure('  of which this thread: the message, the reducer, the frame', refresh.asked.map((x, i) => x - refresh.askedRead[i]), refreshBase);
    figure('refresh after a bd update, seen by the watcher (150 ms debounce)', refresh.watched, refreshBase);

    // (a development build, when NODE_ENV asks for it: 5 rounds on the town's snapshot only, see below)
    const production = process.env.NODE_ENV === 'production';
    const keyRuns = production ? Math.max(15, runs * 2) : 5;
    const keySnaps = [[`the town's snapshot (${snap.work.length} Work rows)`, snap], ...(production ? [['every bead a Work row (100,000 rows)', everyBeadAWorkRow(d, snap, 100_000)]] : [])];
    for (const [label, s] of keySnaps) {
      const keys = await keyPresses(d, s, keyRuns);
      const keyBase = median(keys.base);
      console.log(`  key presses to the frame, ${label}, React's ${process.env.NODE_ENV} build:`);
      figure("node -e '' (again)", keys.base, keyBase);
      for (const [name, times] of keys.times) figure(name, times, keyBase, TARGET_KEY_MS);
    }
    // What gt dashboard loads today: nothing sets NODE_ENV, so React's development build (in a process of its
    // own: the build is chosen once, when React loads). Fewer presses: its user timings of every render, each
    // with a diff of the props (the 20,000-row lists), pile up (4 GB and out of memory within a few hundred
    // presses at 100,000 rows).
    const saved = join(dir, 'snapshot.json');
    writeFileSync(saved, JSON.stringify(snap));
    const dev = !production ? null : spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--keys', saved, '--samples', '5'], { env: { ...process.env, NODE_ENV: 'development' }, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (!dev) console.log("  (React's build is the development one already: not measured again)");
    else if (dev.status !== 0) console.log(`  (the development build's key presses failed: exit ${dev.status}: ${dev.stderr.trim().split('\n').slice(-3).join(' ')})`);
    else {
      const { base, times } = JSON.parse(dev.stdout.slice(dev.stdout.indexOf('{'), dev.stdout.lastIndexOf('}') + 1));
      console.log(`  key presses to the frame, the town's snapshot, React's development build (what gt dashboard loads today: nothing sets NODE_ENV):`);
      const devBase = median(base);
      figure("node -e '' (again)", base, devBase);
      for (const [name, t] of times) figure(`${name} [development build]`, t, devBase, TARGET_KEY_MS);
    }
    return lines;
  } finally {
    stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (keep) console.log(`  kept ${dir} (its tmux server stopped)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

// `node dashboard.mjs --keys SNAPSHOT.json --samples N`: the key presses alone, on a saved snapshot, in this
// process's React build; prints { base, times } as JSON (benchDashboard runs it for the development build).
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--keys')) {
  const arg = (name) => process.argv[process.argv.indexOf(`--${name}`) + 1];
  const d = await loadDashboard();
  const { base, times } = await keyPresses(d, JSON.parse(readFileSync(arg('keys'), 'utf8')), Number(arg('samples')));
  process.stdout.write(`\n${JSON.stringify({ base, times: [...times] })}\n`);
  process.exit(0);
}
