// Running a shell command to its end, synchronously: gates, and the code blocks the scripted agent runs. The
// command gets a process group (and session) of its own and writes to a file, not a pipe, so waiting ends
// when its shell exits, however long what it started in the background lives (waiting for a pipe to close
// would wait for those too). On a timeout the whole group is killed; after a normal exit its leftovers are
// ended too unless the caller keeps them, and if the caller dies first (Ctrl-C, a crash) the group ends with
// it. A process that leaves the group (setsid) is found by a tag in its environment (on Linux); one that also
// clears its environment is beyond reach here. A run that keeps its background (the scripted agent's code
// blocks) stays in the caller's session instead, where gt down finds what it leaves, and a timeout ends what
// carries its tag.
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
  /** The signal that ended the shell (SIGKILL on a timeout), or null when it exited. */
  signal: NodeJS.Signals | null;
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
/** What every process of a run inherits in its environment: a variable named for the run (runs inside runs carry all theirs). */
const newTag = (): string => `GT_SHELL_RUN_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}=1`;
const GRACE_MS = 2000;

/**
 * The live processes (zombies, which only wait for init to reap them, are not) of the group, or whose
 * environment carries the run's tag: what left the group with setsid is found by the tag it inherited.
 */
function leftovers(pgid: number | null, tag: string | undefined): number[] {
  if (!existsSync('/proc/self/stat')) {
    if (pgid === null) return [];
    try {
      process.kill(-pgid, 0);
      return [-pgid];
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? [-pgid] : [];
    }
  }
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      if ((pgid !== null && Number(pgrp) === pgid) || (tag && readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(tag))) found.push(Number(entry));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* none left */
  }
}

/**
 * Ends a process group and what carries the run's tag (`GT_SHELL_RUN_<token>=1`, when given): SIGTERM, then
 * SIGKILL for what is left after a grace period (at once when `now`).
 */
export function endProcessGroup(pgid: number | null, now = false, tag?: string): void {
  // (no group: only what carries the tag; never kill(-0), which is the caller's own group)
  const group = (sig: NodeJS.Signals): void => void (pgid !== null && pgid > 0 && signal(-pgid, sig));
  if (!now) {
    group('SIGTERM');
    leftovers(pgid, tag).forEach((p) => signal(p, 'SIGTERM'));
    const deadline = Date.now() + GRACE_MS;
    while (leftovers(pgid, tag).length && Date.now() < deadline) sleepSync(10);
  }
  // what forked between the scan and its kill is found by the next scan (only the living fork): bounded rounds
  for (let round = 0; round < 50; round++) {
    group('SIGKILL');
    const left = leftovers(pgid, tag);
    if (!left.length) break;
    left.forEach((p) => signal(p, 'SIGKILL'));
    sleepSync(5);
  }
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
 * command, a watchdog in the group ends the run once the caller is gone (it asks every second): it removes
 * the output's directory, which the caller would have, and kills what carries the run's tag, then the group.
 */
const watched = (argv: string[], dir: string, tag: string): string[] => [
  'sh',
  '-c',
  `(while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; rm -rf "$1"; ` +
    `for f in /proc/[0-9]*/environ; do p=\${f#/proc/}; p=\${p%/environ}; tr '\\0' '\\n' <"$f" 2>/dev/null | grep -qxF "$2" && kill -KILL "$p" 2>/dev/null; done; ` +
    `kill -KILL 0) </dev/null >/dev/null 2>&1 & tag=$2; shift 2; exec env "$tag" "$@"`,
  'gt-shell',
  dir,
  tag,
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
    // the tag is given to the command alone (by env), not to the watchdog, which must not find itself
    const tag = newTag();
    // What keeps its background running stays in the caller's session (an agent's pane's, where gt down looks
    // for what the session started, even without its tag), so it is found by its tag on a timeout.
    const spawnOptions = { cwd: options.cwd, detached: !options.keepBackground, stdio: ['ignore', fd, fd], timeout: options.timeoutMs, killSignal: 'SIGKILL' } as SpawnSyncOptions;
    // (what keeps its background running has no watchdog: it would end that work along with the caller)
    const run = options.keepBackground ? ['env', tag, ...argv] : watched(argv, dir, tag);
    const r = spawnSync(run[0]!, run.slice(1), spawnOptions);
    if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
    const timedOut = r.error !== undefined;
    // the group's id is the shell's pid: it leads a new session (detached)
    if (r.pid && (timedOut || !options.keepBackground)) endProcessGroup(options.keepBackground ? null : r.pid, timedOut, tag);
    return { exitCode: timedOut ? null : r.status, signal: r.signal, output: readTail(outPath), timedOut, durationMs: Date.now() - started };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
