import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { endProcesses, processTable, processesStartedBy, startTime } from './processes.js';

const children: ChildProcess[] = [];
const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  children.splice(0).forEach((c) => c.kill('SIGKILL'));
});

/** Starts a detached shell script and resolves with the pids it prints (one a line), once it has printed `count`. */
function start(script: string, count: number, env: Record<string, string> = {}): Promise<{ child: ChildProcess; pids: number[] }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...env } });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const pids = out.split('\n').filter(Boolean).map(Number);
      if (pids.length >= count) {
        strays.push(...pids);
        resolve({ child, pids });
      }
    });
  });
}

describe('processesStartedBy', () => {
  it('finds by identity in the environment (setsid keeps it) and by session (nohup keeps it), never this process or its ancestors', async () => {
    const tag = `GT_SESSION=processes-test-${process.pid}-${Date.now()}/alpha-witness`;
    const tagged = await start('setsid sleep 300 >/dev/null 2>&1 & echo $!; wait', 1, { GT_SESSION: tag.slice('GT_SESSION='.length) });
    const session = await start('(nohup sleep 301 >/dev/null 2>&1 & echo $!); echo $$; exec sleep 302', 2);
    const [orphan, leader] = session.pids as [number, number];
    const setsid = tagged.pids[0]!;
    expect(processTable() !== null).toBe(process.platform === 'linux');
    if (process.platform !== 'linux') return; // no /proc: nothing to find this way (see sessions.ts)
    const find = (entry: string | null, sessions: number[] = []): number[] => processesStartedBy(processTable()!, { env: (env) => entry !== null && env.includes(entry), sessions });
    expect(find(tag).sort()).toEqual([tagged.child.pid, setsid].sort());
    expect(find(`${tag}2`)).toEqual([]);
    expect(find(null, [leader])).toEqual(expect.arrayContaining([leader, orphan]));
    expect(find(null, [leader])).not.toContain(setsid);
    const everyone = find(`PATH=${process.env.PATH}`);
    expect(everyone).not.toContain(process.pid);
    expect(everyone).not.toContain(process.ppid);
  });
});

describe('endProcesses', () => {
  /** A process that ignores SIGTERM, started and known to be running its trap. */
  async function stubborn(): Promise<number> {
    const child = spawn('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    return child.pid!;
  }
  const running = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('kills what ignored SIGTERM after the grace, its start time unchanged', async () => {
    const pid = await stubborn();
    expect(startTime(pid)).toMatch(/^\d+$/);
    endProcesses([pid], 200);
    const deadline = Date.now() + 10_000;
    while (running(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(running(pid)).toBe(false);
  });

  it('leaves alone a pid whose start time changed since it was asked: a new process that took the pid', async () => {
    const pid = await stubborn();
    let asked = false;
    const startOf = (p: number): string | null => (asked ? 'another' : ((asked = true), startTime(p)));
    endProcesses([pid], 200, startOf);
    expect(running(pid)).toBe(true);
  });
});
