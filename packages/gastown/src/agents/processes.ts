// Processes, one function per verb: the tree under a pid, the processes a town's sessions started (by the
// identity in their environment and by session id), whether a pid lives, and ending a set of them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sleepSync } from '@gastown/beads';

const require = createRequire(import.meta.url);

/** The pids under these (children, grandchildren, ...), from one `ps` listing. */
export function descendants(roots: number[]): number[] {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const children = new Map<number, number[]>();
  for (const line of execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const todo = [...roots];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The session id (setsid changes it; nohup and & do not). */
  sid: number;
  /** The environment it was started with (empty when it cannot be read: another user's). */
  env: string[];
}

/** Every live process, from /proc; null where there is no /proc (not Linux). Zombies are left out. */
export function processTable(): ProcessInfo[] | null {
  if (!existsSync('/proc/self/environ')) return null;
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid, , sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      let env: string[] = [];
      try {
        env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      } catch {
        /* not ours to read */
      }
      out.push({ pid: Number(entry), ppid: Number(ppid), sid: Number(sid), env });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

export interface StartedBy {
  /** Whether a process's environment marks it as started by one of the sessions (however it left their trees). */
  env: (env: string[]) => boolean;
  /** Processes in these sessions (the panes' programs lead theirs). */
  sessions: number[];
}

/**
 * The processes whose environment `by.env` recognises, or that belong to one of its sessions: what a town's
 * sessions started, even when nohup or setsid took it out of their process trees. Never this process or its
 * ancestors (a gt down run from inside a session must get to its end).
 */
export function processesStartedBy(table: ProcessInfo[], by: StartedBy): number[] {
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const spared = new Set<number>([process.pid]);
  for (let p = byPid.get(byPid.get(process.pid)?.ppid ?? 0); p && !spared.has(p.pid); p = byPid.get(p.ppid)) spared.add(p.pid);
  const sessions = new Set(by.sessions);
  return table.filter((p) => !spared.has(p.pid) && (sessions.has(p.sid) || by.env(p.env))).map((p) => p.pid);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When a process started, in clock ticks since boot (/proc/PID/stat's 22nd field), or null when it is gone or
 * there is no /proc: with the pid, it names one process, where a pid alone may be a new one's by now.
 */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Asks these processes to end (SIGTERM), and kills (SIGKILL) those still there after `graceMs`. A pid is
 * killed only while its start time is the one seen when it was asked: one that ended meanwhile, its pid taken
 * by a new process (pids wrap), is left alone. (`startOf` is for tests.)
 */
export function endProcesses(pids: number[], graceMs = 3000, startOf: (pid: number) => string | null = startTime): void {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  const seen = new Map(pids.map((p) => [p, startOf(p)]));
  const same = (pid: number): boolean => {
    const was = seen.get(pid) ?? null;
    return was === null || startOf(pid) === was; // no /proc: the pid is all there is to go by
  };
  pids.forEach((p) => signal(p, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  const left = (): number[] => pids.filter((p) => alive(p) && same(p));
  while (left().length && Date.now() < deadline) sleepSync(25);
  left().forEach((p) => signal(p, 'SIGKILL'));
}
