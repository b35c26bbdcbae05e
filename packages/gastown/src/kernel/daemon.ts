// The daemon: one per town, detached, ticking: services, each rig's witness patrol, dispatch, sweeps. A tick is
// a function that does one round and returns what it did (daemonTick); the loop around it is thin. Nothing is
// only in its memory: each step re-derives what to do from the store and tmux, so a daemon killed at any line
// (SIGKILL included) loses nothing, and the next one carries on.
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BeadStore, BeadsError, listBeads, randomToken, releaseBead, sleepSync, wispStoreDir } from '@gastown/beads';
import { DEFAULT_WISP_MAX_AGE, gcWisps } from '@gastown/molecules';
import { TOWN_FILE, type Tools, type Town } from '../model.js';
import { readTown, townStores } from '../town/index.js';
import {
  DAEMON_NONCE_ENV,
  acquireDaemonLock,
  clearStaleDaemonFiles,
  daemonLogger,
  daemonPaths,
  isDaemonProcess,
  readHeartbeat,
  readPidfile,
  readUpMarker,
  releaseDaemonFiles,
  underDaemonControl,
  writeHeartbeat,
  type DaemonRecord,
  type Heartbeat,
} from './daemon-files.js';
import { dispatchRound } from './dispatch.js';
import { ensureServices } from './services.js';
import { witnessPatrol } from './witness.js';

export * from './daemon-files.js';

const require = createRequire(import.meta.url);
const cp = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

export const DEFAULT_DAEMON_INTERVAL_MS = 10_000;
const ACTOR = 'daemon';

/** The interval in force: --interval, else GT_DAEMON_INTERVAL_MS, else 10 s. */
export function daemonInterval(option?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return option;
  const n = Number(env.GT_DAEMON_INTERVAL_MS);
  return n > 0 ? n : DEFAULT_DAEMON_INTERVAL_MS;
}

export type TickStepName = 'services' | 'witness' | 'dispatch' | 'sweep';

export interface TickStep {
  step: TickStepName;
  rig?: string;
  ok: boolean;
  error?: string;
  /** What it did, one line each with its reason. */
  actions: string[];
}

export interface TickResult {
  tick: number;
  started_at: string;
  finished_at: string;
  steps: TickStep[];
  /** A stop was asked for (SIGTERM): the steps after the one running were skipped. */
  interrupted: boolean;
}

export interface TickOptions {
  tools: Tools;
  actor?: string;
  /** The clock, for tests. */
  now?: number;
  log?: (line: string) => void;
  tick?: number;
  /** Asked between steps: true ends the tick there. */
  shouldStop?: () => boolean;
}

/** Lets signal handlers run: the steps are synchronous, and a SIGTERM is seen between them. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lapsed leases released (the bead is ready again) and old wisps burned, in every store of the town. */
export function sweep(town: Town, actor: string, now = Date.now()): string[] {
  const actions: string[] = [];
  for (const { name, store } of townStores(town)) {
    for (const b of listBeads(store, { status: ['in_progress'], limit: 0 })) {
      if (!b.lease_expires_at || Date.parse(b.lease_expires_at) > now) continue;
      const fresh = store.get(b.id); // re-read: a heartbeat may just have renewed it
      if (fresh.status !== 'in_progress' || !fresh.lease_expires_at || Date.parse(fresh.lease_expires_at) > now) continue;
      releaseBead(store, actor, b.id);
      actions.push(`released ${b.id} (${name}): ${fresh.assignee ?? 'its holder'}'s lease lapsed at ${fresh.lease_expires_at}`);
    }
    const wispDir = wispStoreDir(store.dir, store.prefix, false);
    if (wispDir) {
      const maxAge = store.config.wisp_max_age ?? DEFAULT_WISP_MAX_AGE;
      for (const id of gcWisps(BeadStore.open(wispDir), maxAge, now)) actions.push(`burned wisp ${id} (${name}): untouched for more than ${maxAge}`);
    }
  }
  return actions;
}

/**
 * One tick: keep the services running, run each rig's witness patrol, dispatch each rig's ready work, sweep.
 * Each action is logged with its reason; a step that fails is logged and the tick goes on.
 */
export async function daemonTick(town: Town, options: TickOptions): Promise<TickResult> {
  const actor = options.actor ?? ACTOR;
  const log = options.log ?? (() => {});
  const tick = options.tick ?? 1;
  const started = new Date().toISOString();
  const steps: TickStep[] = [];
  // services logs each action as it is about to be done (a daemon killed in the middle shows what it was at);
  // the other steps' actions are logged when the step returns them
  const plan: { step: TickStepName; rig?: string; logsItself?: boolean; run: () => string[] }[] = [
    {
      step: 'services',
      logsItself: true,
      run: () => ensureServices(town, { tools: options.tools, actor, now: options.now, log: (line) => log(`tick ${tick}: services: ${line}`) }).actions.map((a) => `${a.service}: ${a.action}: ${a.reason}`),
    },
    ...town.rigs.map((r) => ({
      step: 'witness' as const,
      rig: r.name,
      run: () => witnessPatrol(town, r.name, { tools: options.tools, actor, now: options.now }).findings.map((f) => `${f.polecat}${f.bead ? ` (${f.bead})` : ''}: ${f.kind}: ${f.action}${f.done ? '' : ' (not done)'}: ${f.reason}; evidence: ${f.evidence}`),
    })),
    ...town.rigs.map((r) => ({
      step: 'dispatch' as const,
      rig: r.name,
      run: () => {
        const d = dispatchRound(town, r.name, { tools: options.tools, actor });
        return [
          ...d.slung.map((s) => `slung ${s.bead} to ${s.polecat}: ready work, dispatch ${d.mode}`),
          ...(d.notified.length ? [`told the mayor of ready work: ${d.notified.join(', ')}`] : []),
          ...d.failed.map((f) => `could not sling ${f.bead}: ${f.error}`),
        ];
      },
    })),
    { step: 'sweep', run: () => sweep(town, actor, options.now) },
  ];
  let interrupted = false;
  for (const p of plan) {
    await turn();
    if (options.shouldStop?.()) {
      interrupted = true;
      log(`tick ${tick}: stop asked for: ending before ${p.step}${p.rig ? ` ${p.rig}` : ''}`);
      break;
    }
    const where = `${p.step}${p.rig ? ` ${p.rig}` : ''}`;
    try {
      const actions = p.run();
      if (!p.logsItself) for (const a of actions) log(`tick ${tick}: ${where}: ${a}`);
      steps.push({ step: p.step, ...(p.rig ? { rig: p.rig } : {}), ok: true, actions });
    } catch (err) {
      const error = err instanceof BeadsError ? err.message : String((err as Error)?.stack ?? err);
      log(`tick ${tick}: ${where}: FAILED: ${error}`);
      steps.push({ step: p.step, ...(p.rig ? { rig: p.rig } : {}), ok: false, error, actions: [] });
    }
  }
  return { tick, started_at: started, finished_at: new Date().toISOString(), steps, interrupted };
}

/** What a tick did, in one line for the heartbeat. */
function summary(r: TickResult): string {
  const acted = r.steps.reduce((n, s) => n + s.actions.length, 0);
  const failed = r.steps.filter((s) => !s.ok).map((s) => `${s.step}${s.rig ? ` ${s.rig}` : ''}`);
  return `${acted} action(s)${failed.length ? `; failed: ${failed.join(', ')}` : ''}${r.interrupted ? '; interrupted' : ''}`;
}

export interface RunDaemonOptions {
  tools: Tools;
  intervalMs: number;
  once?: boolean;
  /** Where each log line goes besides the log file (a foreground run's terminal). */
  echo?: (line: string) => void;
}

export interface RunDaemonResult {
  pid: number;
  ticks: number;
  stopped: string;
  last: TickResult | null;
}

/**
 * Runs the daemon in this process until SIGTERM (or SIGINT), until its town or its pidfile is gone, or, with
 * `once`, after one tick. This process must have been started with GT_DAEMON_NONCE in its environment (gt
 * daemon start and run see to it): that is how a pid is known to be it. Refuses when another daemon runs.
 */
export async function runDaemon(town: Town, options: RunDaemonOptions): Promise<RunDaemonResult> {
  const nonce = process.env[DAEMON_NONCE_ENV];
  if (!nonce) throw new BeadsError('usage', `the daemon's process must be started with ${DAEMON_NONCE_ENV} set (gt daemon start, or gt daemon run, set it)`);
  // What it starts must not carry the nonce: only the daemon is the daemon. (/proc/<pid>/environ keeps the
  // environment it was started with, so the nonce test still finds it there.)
  delete process.env[DAEMON_NONCE_ENV];
  const record: DaemonRecord = { pid: process.pid, nonce, started_at: new Date().toISOString() };
  acquireDaemonLock(town, record);
  const fileLog = daemonLogger(town);
  const log = (line: string): void => {
    fileLog(line);
    options.echo?.(line);
  };
  let stopping: string | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) log(`${signal} received: stopping after the current step`);
    stopping ??= signal;
    wake?.();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  signals.forEach((s) => process.on(s, onSignal));
  const beat: Heartbeat = { ...record, tick: 0, at: null, interval_ms: options.intervalMs, last: null };
  writeHeartbeat(town, beat);
  log(`daemon up: pid ${process.pid}, town ${town.config.name}, interval ${options.intervalMs} ms`);
  let last: TickResult | null = null;
  let ticks = 0;
  try {
    for (;;) {
      if (stopping) break;
      if (!existsSync(join(town.root, TOWN_FILE))) {
        stopping = 'the town is gone';
        break;
      }
      const named = readPidfile(town);
      if (!named || named.pid !== record.pid || named.nonce !== record.nonce) {
        stopping = 'the pidfile no longer names this daemon';
        break;
      }
      ticks++;
      try {
        town = readTown(town.root); // rigs added or removed since
        last = await daemonTick(town, { tools: options.tools, actor: ACTOR, log, tick: ticks, shouldStop: () => stopping !== null });
      } catch (err) {
        log(`tick ${ticks}: FAILED: ${String((err as Error)?.stack ?? err)}`);
      }
      try {
        writeHeartbeat(town, { ...beat, tick: ticks, at: new Date().toISOString(), last: last ? summary(last) : 'failed' });
      } catch (err) {
        log(`heartbeat not written: ${(err as Error).message}`);
      }
      if (options.once) {
        stopping = 'one tick asked for (--once)';
        break;
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    signals.forEach((s) => process.off(s, onSignal));
    log(`daemon stopped: ${stopping ?? 'error'}`);
    releaseDaemonFiles(town, record);
  }
  return { pid: process.pid, ticks, stopped: stopping ?? 'error', last };
}

export interface DaemonStatus {
  running: boolean;
  pid: number | null;
  started_at: string | null;
  /** When the last tick finished. */
  last_tick: string | null;
  ticks: number;
  interval_ms: number | null;
  /** What the last tick did, in short. */
  last: string | null;
  /** A pidfile names a process that is not the daemon (it was killed; the pid may be another's now). */
  stale_pidfile: boolean;
  log: string;
}

export function daemonStatus(town: Town): DaemonStatus {
  const record = readPidfile(town);
  const running = isDaemonProcess(record);
  const beat = readHeartbeat(town);
  const same = beat && record && beat.pid === record.pid && beat.nonce === record.nonce;
  return {
    running,
    pid: running ? record!.pid : null,
    started_at: running ? record!.started_at : null,
    last_tick: beat?.at ?? null,
    ticks: same ? beat.tick : 0,
    interval_ms: beat?.interval_ms ?? null,
    last: beat?.last ?? null,
    stale_pidfile: Boolean(record) && !running,
    log: daemonPaths(town).log,
  };
}

/** The environment the daemon starts with: the caller's, but never an agent's identity (it is no agent). */
export function daemonEnv(town: Town, nonce: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['GT_SESSION', 'GT_AGENT', 'GT_ROLE', 'GT_RIG', 'GT_POLECAT', 'GT_AGENT_RUNTIME', 'BD_ACTOR', 'BEADS_DIR', 'TMUX', 'TMUX_PANE']) delete env[key];
  return { ...env, [DAEMON_NONCE_ENV]: nonce, GT_TOWN: town.root };
}

export interface StartDaemonResult {
  /** not_up: asked to start only if the town is marked up (`ifUp`), and it is not. */
  result: 'started' | 'running' | 'not_up';
  pid: number | null;
  log: string;
}

export interface StartDaemonOptions {
  tools: Tools;
  intervalMs?: number;
  timeoutMs?: number;
  /** Start only if the town is marked up (.gt/up), as read under the control lock: a witness's start, which a gt down must win. */
  ifUp?: boolean;
}

/**
 * Starts the town's daemon detached (its own session, no terminal, output to .gt/daemon/daemon.out) and waits
 * until its heartbeat says it is up. A running daemon is reported, not doubled: starts (and stops) take the
 * daemon's control lock, so two at once make one daemon.
 */
export function startDaemon(town: Town, options: StartDaemonOptions): StartDaemonResult {
  return underDaemonControl(town, () => {
    const paths = daemonPaths(town);
    if (options.ifUp && !readUpMarker(town)) return { result: 'not_up', pid: null, log: paths.log };
    const status = daemonStatus(town);
    if (status.running) return { result: 'running', pid: status.pid!, log: paths.log };
    return spawnDaemon(town, options);
  });
}

function spawnDaemon(town: Town, options: StartDaemonOptions): StartDaemonResult {
  const paths = daemonPaths(town);
  const nonce = randomToken(20);
  const out = openSync(paths.out, 'a');
  const args = [options.tools.gt, 'daemon', 'run', '--log-only', ...(options.intervalMs !== undefined ? ['--interval', `${options.intervalMs}ms`] : [])];
  let pid: number;
  try {
    const child = cp().spawn(options.tools.node, args, { cwd: town.root, detached: true, stdio: ['ignore', out, out], env: daemonEnv(town, nonce) });
    child.unref();
    if (!child.pid) throw new BeadsError('internal', `the daemon could not be started (${options.tools.node} ${args.join(' ')})`);
    pid = child.pid;
  } finally {
    closeSync(out);
  }
  const record = { pid, nonce, started_at: '' };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const beat = readHeartbeat(town);
    if (beat && beat.pid === pid && beat.nonce === nonce) return { result: 'started', pid, log: paths.log };
    if (!isDaemonProcess(record)) {
      const other = daemonStatus(town); // a daemon run in the foreground (gt daemon run) won the race: that one is the daemon
      if (other.running) return { result: 'running', pid: other.pid!, log: paths.log };
      throw new BeadsError('internal', `the daemon exited as it started; its output:\n${tail(paths.out, 15)}`);
    }
    if (Date.now() > deadline) throw new BeadsError('internal', `the daemon (pid ${pid}) did not come up in time; see ${paths.log} and ${paths.out}`);
    sleepSync(25);
  }
}

function tail(path: string, n: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(none)';
  }
}

export interface StopDaemonResult {
  result: 'stopped' | 'killed' | 'not_running';
  pid: number | null;
}

/** The processes of a session (by session id): what the daemon left running when it died. */
function sessionProcesses(sid: number): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , , s] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && Number(s) === sid) out.push(Number(entry));
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

/**
 * Stops the town's daemon: SIGTERM (it ends after the step it is in), SIGKILL after `graceMs`; returns once it
 * is gone, with whatever it had started in its session (a git, a tmux client) killed too. A stale pidfile and
 * lock are cleared. A start in progress is waited out first (the control lock), and what it started is stopped.
 */
export function stopDaemon(town: Town, options: { graceMs?: number } = {}): StopDaemonResult {
  return underDaemonControl(town, () => stopLocked(town, options));
}

function stopLocked(town: Town, options: { graceMs?: number }): StopDaemonResult {
  const record = readPidfile(town);
  if (!record || !isDaemonProcess(record)) {
    if (record) clearStaleDaemonFiles(town);
    return { result: 'not_running', pid: null };
  }
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(record.pid, sig);
    } catch {
      /* gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 30_000);
  while (isDaemonProcess(record) && Date.now() < deadline) sleepSync(25);
  let result: StopDaemonResult['result'] = 'stopped';
  if (isDaemonProcess(record)) {
    signal('SIGKILL');
    result = 'killed';
    const hard = Date.now() + 10_000;
    while (isDaemonProcess(record) && Date.now() < hard) sleepSync(25);
  }
  // The daemon leads its own session (started detached): anything of it still there is its leftovers.
  for (const pid of sessionProcesses(record.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  releaseDaemonFiles(town, record);
  return { result, pid: record.pid };
}
