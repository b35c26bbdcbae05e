// The witness's watch over the daemon: the daemon keeps the witnesses running, and each witness patrol checks
// that the daemon runs (Gas Town's deacon, dead for 155 hours with nobody restarting it, #3638). While the town
// is marked up (.gt/up: gt up and gt daemon start write it, gt down and gt daemon stop remove it first, so
// nothing restarts what is being stopped, #299), a daemon found not running, or hung (alive, its heartbeat far
// past its interval), is started again the way gt daemon start starts it. Starts take the daemon's control lock
// and read the mark again under it: two witnesses at once make one daemon, and a gt down always wins.
import { spawnSync } from 'node:child_process';
import type { Tools, Town } from '../model.js';
import { daemonLogger, isDaemonProcess, readHeartbeat, readPidfile, readUpMarker, type DaemonRecord, type Heartbeat, type UpMarker } from './daemon-files.js';
import { DEFAULT_DAEMON_INTERVAL_MS, stopDaemon, type StartDaemonResult } from './daemon.js';

/** A daemon alive but silent this long is hung: at least 15 min (a tick may wait on a setup hook's 10 min), or 10 intervals. GT_DAEMON_STALE_MS for tests. */
export function daemonStaleAfter(intervalMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.GT_DAEMON_STALE_MS);
  return n > 0 ? n : Math.max(10 * intervalMs, 15 * 60_000);
}

/** What supervision looks at: the mark, the pidfile (nonce checked) and the heartbeat. */
export interface DaemonLook {
  up: UpMarker | null;
  record: DaemonRecord | null;
  running: boolean;
  heartbeat: Heartbeat | null;
  /** This process is the daemon (its own tick runs the witness patrol). */
  self: boolean;
}

export interface DaemonDecision {
  action: 'start' | 'restart';
  reason: string;
  /** The interval the daemon ran with, kept for the new one. */
  interval_ms: number;
}

const secs = (ms: number): string => (ms < 10_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

/** Whether the daemon needs starting (or, hung, restarting), and why; null when it is fine or not meant to run. */
export function decideDaemon(look: DaemonLook, now: number, env: NodeJS.ProcessEnv = process.env): DaemonDecision | null {
  if (!look.up || look.self) return null;
  const beat = look.heartbeat;
  const interval = beat?.interval_ms && beat.interval_ms > 0 ? beat.interval_ms : DEFAULT_DAEMON_INTERVAL_MS;
  const beatAt = beat ? Date.parse(beat.at ?? beat.started_at) : NaN;
  if (!look.running) {
    const age = Number.isNaN(beatAt) ? 'no heartbeat' : `heartbeat ${secs(now - beatAt)} old`;
    const pid = look.record ? `its pidfile names pid ${look.record.pid}, which is not it` : 'no pidfile';
    return { action: 'start', reason: `daemon not running: ${age} (${pid})`, interval_ms: interval };
  }
  // the heartbeat is this daemon's only when it says so; one just started has none yet, and is as old as its start
  const own = beat && beat.pid === look.record!.pid && beat.nonce === look.record!.nonce;
  const since = own ? beatAt : Date.parse(look.record!.started_at);
  if (Number.isNaN(since)) return null;
  const staleAfter = daemonStaleAfter(interval, env);
  if (now - since <= staleAfter) return null;
  return { action: 'restart', reason: `daemon hung: pid ${look.record!.pid} is alive but its heartbeat is ${secs(now - since)} old (stale after ${secs(staleAfter)}, interval ${secs(interval)})`, interval_ms: interval };
}

export function lookAtDaemon(town: Town): DaemonLook {
  const record = readPidfile(town);
  return { up: readUpMarker(town), record, running: isDaemonProcess(record), heartbeat: readHeartbeat(town), self: record?.pid === process.pid };
}

export interface DaemonSupervision extends DaemonDecision {
  /** False for a dry run, or when the start failed or was not needed after all. */
  done: boolean;
  /** What the start found: started (a new daemon), running (another start was first), not_up (gt down was first), failed. */
  result: StartDaemonResult['result'] | 'failed' | 'dry_run';
  pid: number | null;
  error?: string;
}

export interface SuperviseOptions {
  tools: Tools;
  actor?: string;
  dryRun?: boolean;
  now?: number;
  log?: (line: string) => void;
}

/**
 * gt daemon start --if-up in a process of its own: the daemon it starts is not this process's child (a witness's
 * session ending must not take the daemon with it), and the mark is read again under the control lock.
 */
function startDetached(town: Town, tools: Tools, intervalMs: number): StartDaemonResult {
  const r = spawnSync(tools.node, [tools.gt, 'daemon', 'start', '--if-up', '--interval', `${intervalMs}ms`, '--json'], {
    cwd: town.root,
    env: { ...process.env, GT_TOWN: town.root },
    encoding: 'utf8',
    timeout: 180_000,
  });
  let out: unknown;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    out = null;
  }
  if (r.status === 0 && out && typeof out === 'object' && 'result' in out) return out as StartDaemonResult;
  const message = (out as { error?: { message?: string } } | null)?.error?.message ?? (r.error?.message || r.stderr.trim() || `exit ${r.status ?? r.signal}`);
  throw new Error(message);
}

const outcome = (r: DaemonSupervision): string =>
  r.result === 'started' ? `started, pid ${r.pid}`
  : r.result === 'running' ? `another start was first (pid ${r.pid}): nothing done`
  : r.result === 'not_up' ? 'the town was marked down meanwhile (gt down): nothing done'
  : r.result === 'dry_run' ? 'dry run: nothing done'
  : `FAILED: ${r.error}`;

/**
 * One look at the daemon, and a start (or, hung, a stop and a start) when the town is marked up and the daemon
 * is not running. Returns what it did with its reason, or null when there was nothing to do. Never throws: a
 * failed start is reported (the next patrol tries again).
 */
export function superviseDaemon(town: Town, options: SuperviseOptions): DaemonSupervision | null {
  const now = options.now ?? Date.now();
  const decision = decideDaemon(lookAtDaemon(town), now);
  if (!decision) return null;
  const by = options.actor ?? 'witness';
  const report = (r: DaemonSupervision): DaemonSupervision => {
    const line = `${r.action} the daemon: ${r.reason}: ${outcome(r)}`;
    options.log?.(`[daemon] ${line}`);
    if (r.result === 'started' || r.result === 'failed') daemonLogger(town)(`${by}: ${line}`); // what was done (or tried), not what another did first
    return r;
  };
  if (options.dryRun) return report({ ...decision, done: false, result: 'dry_run', pid: null });
  try {
    if (decision.action === 'restart') stopDaemon(town, { graceMs: 5000 });
    const started = startDetached(town, options.tools, decision.interval_ms);
    return report({ ...decision, done: started.result === 'started', result: started.result, pid: started.pid });
  } catch (err) {
    return report({ ...decision, done: false, result: 'failed', pid: null, error: (err as Error).message });
  }
}
