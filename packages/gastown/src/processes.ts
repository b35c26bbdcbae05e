// Processes, one function per verb: the tree under a pid, whether a pid lives, and ending a set of them.
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

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Asks these processes to end (SIGTERM), and kills (SIGKILL) those still there after `graceMs`. */
export function endProcesses(pids: number[], graceMs = 3000): void {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  pids.forEach((p) => signal(p, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) sleepSync(25);
  pids.filter(alive).forEach((p) => signal(p, 'SIGKILL'));
}
