// The daemon's files under .gt/daemon/: the lock (one daemon per town), the pidfile, the heartbeat and the
// rotating log. Whether a daemon runs is never taken from a pid alone: the process must be alive AND carry the
// nonce in the environment it was started with (/proc/<pid>/environ), so a reused pid is never taken for it.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BeadsError, withLock } from '@gastown/beads';
import type { Town } from '../model.js';
import { writeJsonAtomic } from '../town/index.js';

/** The environment variable the daemon's process is started with: its nonce. */
export const DAEMON_NONCE_ENV = 'GT_DAEMON_NONCE';

export interface DaemonRecord {
  pid: number;
  nonce: string;
  started_at: string;
}

export interface Heartbeat extends DaemonRecord {
  /** Ticks done (0: up, no tick yet). */
  tick: number;
  /** When the last tick finished; null before the first. */
  at: string | null;
  interval_ms: number;
  /** What the last tick did, in short. */
  last: string | null;
}

export function daemonPaths(town: Town): { dir: string; lock: string; control: string; pid: string; heartbeat: string; log: string; out: string } {
  const dir = join(town.root, '.gt', 'daemon');
  return { dir, lock: join(dir, 'daemon.lock'), control: join(dir, 'control.lock'), pid: join(dir, 'daemon.pid'), heartbeat: join(dir, 'heartbeat.json'), log: join(dir, 'daemon.log'), out: join(dir, 'daemon.out') };
}

/** The mark that the town is meant to be up with its daemon (.gt/up): what the witness's supervision goes by. */
export interface UpMarker {
  since: string;
  by: string;
}

const upPath = (town: Town): string => join(town.root, '.gt', 'up');

export const readUpMarker = (town: Town): UpMarker | null => (existsSync(upPath(town)) ? (readJson<UpMarker>(upPath(town)) ?? { since: '', by: 'unknown' }) : null);

/** gt up and gt daemon start: the daemon is meant to run, and a witness that finds it down starts it. */
export function markTownUp(town: Town, by: string): UpMarker {
  const marker = readUpMarker(town) ?? { since: new Date().toISOString(), by };
  mkdirSync(join(town.root, '.gt'), { recursive: true });
  writeJsonAtomic(upPath(town), marker);
  return marker;
}

/** gt down and gt daemon stop, before stopping it: nothing starts the daemon again. True when there was a mark. */
export function markTownDown(town: Town): boolean {
  const had = existsSync(upPath(town));
  rmSync(upPath(town), { force: true });
  return had;
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null; // absent, or half-written by a process killed mid-write (the lock is written in one call)
  }
}

export const readPidfile = (town: Town): DaemonRecord | null => readJson<DaemonRecord>(daemonPaths(town).pid);
export const readHeartbeat = (town: Town): Heartbeat | null => readJson<Heartbeat>(daemonPaths(town).heartbeat);

/** Whether `record` names a live daemon: its pid alive, not a zombie, and started with its nonce. */
export function isDaemonProcess(record: DaemonRecord | null): boolean {
  if (!record || !Number.isInteger(record.pid) || record.pid <= 0 || !record.nonce) return false;
  if (!existsSync('/proc/self/environ')) {
    try {
      process.kill(record.pid, 0); // no /proc (not Linux): the pid is all there is to go on
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  try {
    const stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return false;
    return readFileSync(`/proc/${record.pid}/environ`, 'utf8').split('\0').includes(`${DAEMON_NONCE_ENV}=${record.nonce}`);
  } catch {
    return false;
  }
}

/**
 * Takes the town's daemon lock for `record`: created exclusively; a lock whose holder is not a live daemon (by
 * the nonce test) is stale and taken over, under a guard lock so two starting daemons cannot both take it.
 * Throws a conflict naming the running daemon otherwise.
 */
export function acquireDaemonLock(town: Town, record: DaemonRecord): void {
  const paths = daemonPaths(town);
  mkdirSync(paths.dir, { recursive: true });
  withLock(`${paths.lock}.guard`, () => {
    const holder = readJson<DaemonRecord>(paths.lock);
    if (holder && holder.pid !== record.pid && isDaemonProcess(holder)) {
      throw new BeadsError('conflict', `a daemon is running for town ${town.config.name} already (pid ${holder.pid}, since ${holder.started_at}); gt daemon stop stops it`, { pid: holder.pid });
    }
    rmSync(paths.lock, { force: true });
    const fd = openSync(paths.lock, 'wx');
    try {
      writeSync(fd, JSON.stringify(record) + '\n');
    } finally {
      closeSync(fd);
    }
  }, { timeoutMs: 10_000, what: "the daemon's lock" });
  writeJsonAtomic(paths.pid, record);
}

/** Removes the lock and the pidfile if they are `record`'s (a successor's are left alone). */
export function releaseDaemonFiles(town: Town, record: DaemonRecord): void {
  const paths = daemonPaths(town);
  for (const path of [paths.pid, paths.lock]) {
    const r = readJson<DaemonRecord>(path);
    if (r && r.pid === record.pid && r.nonce === record.nonce) rmSync(path, { force: true });
  }
}

/** Removes a lock and pidfile that name no live daemon (one killed with SIGKILL left them). */
export function clearStaleDaemonFiles(town: Town): boolean {
  const paths = daemonPaths(town);
  let cleared = false;
  withLock(`${paths.lock}.guard`, () => {
    for (const path of [paths.pid, paths.lock]) {
      if (existsSync(path) && !isDaemonProcess(readJson<DaemonRecord>(path))) {
        rmSync(path, { force: true });
        cleared = true;
      }
    }
  }, { timeoutMs: 10_000, what: "the daemon's lock" });
  return cleared;
}

/**
 * Runs `fn` holding the daemon's control lock: a start and a stop never overlap, so two starts at once make one
 * daemon, and a stop waits out a start in progress (and stops what it started).
 */
export function underDaemonControl<T>(town: Town, fn: () => T): T {
  const paths = daemonPaths(town);
  mkdirSync(paths.dir, { recursive: true });
  return withLock(paths.control, fn, { timeoutMs: 120_000, what: 'the daemon (another gt daemon start or stop)' });
}

export function writeHeartbeat(town: Town, beat: Heartbeat): void {
  writeJsonAtomic(daemonPaths(town).heartbeat, beat);
}

/** How large the log grows before it is rotated (daemon.log -> .1 -> .2); GT_DAEMON_LOG_BYTES for tests. */
export function logLimit(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.GT_DAEMON_LOG_BYTES);
  return n > 0 ? n : 1 << 20;
}

export const LOG_KEEP = 2;

/** A logger for the daemon's log: one timestamped line per call, rotated past `limit` bytes (two old files kept). */
export function daemonLogger(town: Town, limit = logLimit()): (line: string) => void {
  const paths = daemonPaths(town);
  mkdirSync(paths.dir, { recursive: true });
  return (line: string) => {
    try {
      if (existsSync(paths.log) && statSync(paths.log).size >= limit) {
        for (let i = LOG_KEEP; i >= 1; i--) {
          const from = i === 1 ? paths.log : `${paths.log}.${i - 1}`;
          if (existsSync(from)) renameSync(from, `${paths.log}.${i}`);
        }
      }
      appendFileSync(paths.log, `${new Date().toISOString()} ${line.replace(/\n/g, '\n    ')}\n`);
    } catch {
      /* a full disk must not stop the daemon's work; the heartbeat still tells it is alive */
    }
  };
}

/** The last `n` lines of the log (reaching into the rotated files when the current one is short). */
export function logTail(town: Town, n: number): string[] {
  const paths = daemonPaths(town);
  const lines: string[] = [];
  for (const path of [paths.log, `${paths.log}.1`, `${paths.log}.2`]) {
    if (!existsSync(path)) continue;
    lines.unshift(...readFileSync(path, 'utf8').split('\n').filter(Boolean));
    if (lines.length >= n) break;
  }
  return lines.slice(-n);
}
