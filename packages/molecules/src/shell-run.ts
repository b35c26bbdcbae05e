// Running a shell command to its end, synchronously: gates, and the code blocks the scripted agent runs. The
// command gets a process group (and session) of its own and writes to a file, not a pipe, so waiting ends
// when its shell exits, however long what it started in the background lives (waiting for a pipe to close
// would wait for those too). On a timeout the whole group is killed; after a normal exit its leftovers are
// ended too unless the caller keeps them, and if the caller dies first (Ctrl-C, a crash) the group ends with
// it. A process that leaves the group (setsid) is beyond reach here.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleepSync } from '@gastown/beads';
import type { SpawnSyncOptions } from 'node:child_process';

// child_process costs ~7 ms to load; only a close that runs gates needs it.
const require = createRequire(import.meta.url);

export interface ShellRun {
  /** The exit code, or null when the shell was killed (by the timeout or a signal). */
  exitCode: number | null;
  /** The end of what it wrote to stdout and stderr together (at most the last `OUTPUT_BYTES`). */
  output: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ShellRunOptions {
  cwd: string;
  timeoutMs: number;
  /** Leave what the command started in the background running after it exits (a timeout ends it all the same). */
  keepBackground?: boolean;
}

const OUTPUT_BYTES = 64 << 10;
const GRACE_MS = 2000;

/** Whether any live process of the group is left (zombies, which only wait for init to reap them, are not). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!existsSync('/proc/self/stat')) return true;
  return readdirSync('/proc').some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z';
    } catch {
      return false; // gone meanwhile
    }
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* none left */
  }
}

/** Ends a process group: SIGTERM, then SIGKILL for what is left after a grace period (at once when `now`). */
export function endProcessGroup(pgid: number, now = false): void {
  if (!now) {
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + GRACE_MS;
    while (groupAlive(pgid) && Date.now() < deadline) sleepSync(10);
  }
  signalGroup(pgid, 'SIGKILL');
}

function readTail(path: string): string {
  const size = statSync(path).size;
  const length = Math.min(size, OUTPUT_BYTES);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/**
 * A group of its own is out of reach of the terminal's Ctrl-C, and outlives a caller that crashes: beside the
 * command, a watchdog in the group ends the group once the caller is gone (it asks every second).
 */
const watched = (argv: string[]): string[] => [
  'sh',
  '-c',
  `(while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL 0) </dev/null >/dev/null 2>&1 & exec "$@"`,
  'gt-shell',
  ...argv,
];

/** Runs argv (such as ['sh', '-c', command]) in `cwd` until its own process exits or the timeout. */
export function runShell(argv: string[], options: ShellRunOptions): ShellRun {
  if (!(options.timeoutMs > 0)) throw new RangeError(`timeout must be more than 0 ms, not ${options.timeoutMs}`);
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'gt-shell-'));
  const outPath = join(dir, 'output');
  const fd = openSync(outPath, 'w');
  const started = Date.now();
  try {
    // spawnSync honours `detached` (setsid) although its types leave it out
    const spawnOptions = { cwd: options.cwd, detached: true, stdio: ['ignore', fd, fd], timeout: options.timeoutMs, killSignal: 'SIGKILL' } as SpawnSyncOptions;
    // (what keeps its background running has no watchdog: it would end that work along with the caller)
    const run = options.keepBackground ? argv : watched(argv);
    const r = spawnSync(run[0]!, run.slice(1), spawnOptions);
    if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
    const timedOut = r.error !== undefined;
    // the group's id is the shell's pid: it leads a new session (detached)
    if (r.pid && (timedOut || !options.keepBackground)) endProcessGroup(r.pid, timedOut);
    return { exitCode: timedOut ? null : r.status, output: readTail(outPath), timedOut, durationMs: Date.now() - started };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
