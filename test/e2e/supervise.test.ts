// Mutual supervision: the daemon keeps the witnesses running, and each witness patrol starts the daemon again
// when the town is marked up and the daemon is dead or hung (Gas Town #3638: a dead deacon stayed down 155
// hours). gt down removes the mark first, so no patrol starts what is being stopped (Gas Town #299); two
// starts at once make one daemon. And gt down RIG: the rig held, its witness stopped before its polecats, and
// neither a patrol nor dispatch brings anything of it back.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PatrolResult } from '@gastown/gastown';
import { GT, bdJson, gt, gtJson, running, waitFor, type Result } from './helpers.js';
import { testTowns } from './town-harness.js';

// Ticks every 100 ms; the scripted witness patrols on its own only once an hour, so the patrols here are the
// test's own commands.
const fast = { GT_RUNTIME: 'scripted', GT_DAEMON_INTERVAL_MS: '100', GT_SERVICE_BACKOFF_MS: '20', GT_WITNESS_INTERVAL_MS: '3600000' };
const newTown = testTowns('supervise', fast);
// Agents that do nothing (cat), so that no witness of the town patrols: the test's patrols are the only ones.
const idle = { runtimes: { commands: { idle: 'cat' } } };
const quiet = { ...fast, GT_RUNTIME: 'idle' };

interface Status {
  running: boolean;
  pid: number | null;
  ticks: number;
}
const status = (town: string): Status => gtJson<Status>(town, ['daemon', 'status']);
const patrol = (town: string, env: Record<string, string> = {}, ...extra: string[]): PatrolResult => gtJson<PatrolResult[]>(town, ['witness', 'patrol', 'alpha', '--once', ...extra], { ...fast, ...env })[0]!;
const daemonOut = (town: string): string => {
  const p = join(town, '.gt', 'daemon', 'daemon.out');
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
};
const logLines = (town: string): string[] => gtJson<{ lines: string[] }>(town, ['daemon', 'logs', '-n', '1000']).lines;

/**
 * The live daemons of this town: processes carrying a daemon's nonce and this town's GT_TOWN, whose parent is
 * not one (a child a daemon has forked shows its environment until it execs).
 */
function daemonsOf(town: string): number[] {
  const parent = new Map<number, number>();
  const pids = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const env = readFileSync(`/proc/${e}/environ`, 'utf8').split('\0');
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
        return running(Number(e)) && env.includes(`GT_TOWN=${town}`) && env.some((v) => v.startsWith('GT_DAEMON_NONCE='));
      } catch {
        return false;
      }
    })
    .map(Number);
  return pids.filter((p) => !pids.includes(parent.get(p)!));
}

function gtAsync(cwd: string, args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GT, ...args], { cwd, env: { ...process.env, BD_ACTOR: 'tester', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function killDaemon(town: string, pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !running(pid), 'the daemon to die');
  expect(status(town).running).toBe(false);
}

describe('the witness supervises the daemon', () => {
  it('a patrol starts again a daemon killed with SIGKILL; after gt down a patrol starts none', async () => {
    const { town } = newTown(idle);
    const up = gtJson<{ daemon: { result: string; pid: number } }>(town, ['up'], quiet);
    expect(up.daemon.result).toBe('started');
    expect(existsSync(join(town, '.gt', 'up'))).toBe(true);
    // a patrol with the daemon running leaves it alone
    expect(patrol(town, quiet).daemon).toBeUndefined();
    await killDaemon(town, up.daemon.pid);
    // a dry run says what it would do, and starts nothing
    const dry = patrol(town, quiet, '--dry-run');
    expect(dry.daemon).toMatchObject({ action: 'start', done: false, result: 'dry_run', pid: null });
    expect(status(town).running).toBe(false);
    const r = patrol(town, quiet);
    expect(r.daemon).toMatchObject({ action: 'start', done: true, result: 'started', interval_ms: 100 });
    expect(r.daemon!.reason).toMatch(new RegExp(`^daemon not running: heartbeat [\\d.]+ s old \\(its pidfile names pid ${up.daemon.pid}, which is not it\\)$`));
    const pid = r.daemon!.pid!;
    expect(pid).not.toBe(up.daemon.pid);
    expect(status(town)).toMatchObject({ running: true, pid });
    const ticks = status(town).ticks;
    await waitFor(() => status(town).ticks >= ticks + 3, 'the new daemon to tick on');
    expect(daemonsOf(town)).toEqual([pid]);
    expect(logLines(town).filter((l) => l.includes('alpha/witness: start the daemon: daemon not running'))).toEqual([expect.stringContaining(`: started, pid ${pid}`)]);
    // the text output says it too
    await killDaemon(town, pid);
    const text = gt(town, ['witness', 'patrol', 'alpha', '--once'], quiet);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^daemon: start: daemon not running: heartbeat [\d.]+ s old \(.*\): started \(pid \d+\)$/m);
    const third = status(town).pid!;
    // a stop refused for bad input leaves the mark
    const refused = gt(town, ['daemon', 'stop', '--grace', 'soon']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--grace/);
    expect(existsSync(join(town, '.gt', 'up'))).toBe(true);
    // gt down removes the mark before stopping the daemon: a patrol after it starts nothing
    expect(gtJson<{ daemon: { result: string; pid: number } }>(town, ['down']).daemon).toEqual({ result: 'stopped', pid: third });
    expect(existsSync(join(town, '.gt', 'up'))).toBe(false);
    const after = patrol(town, quiet);
    expect(after.daemon).toBeUndefined();
    expect(status(town).running).toBe(false);
    expect(daemonsOf(town)).toEqual([]);
  });

  it('gt daemon ensure (the agents\' after-turn hook) starts a killed daemon; --hook prints nothing and exits 0, even outside a town', async () => {
    const { town } = newTown(idle);
    const up = gtJson<{ daemon: { pid: number } }>(town, ['up'], quiet);
    const fine = gtJson<{ action: string; reason: string }>(town, ['daemon', 'ensure'], quiet);
    expect(fine).toMatchObject({ action: 'none', reason: expect.stringMatching(/^the daemon is running \(pid \d+;/) });
    await killDaemon(town, up.daemon.pid);
    const dry = gt(town, ['daemon', 'ensure', '--dry-run'], quiet);
    expect(dry.stdout).toMatch(/^start the daemon: daemon not running: .*: dry_run$/m);
    expect(status(town).running).toBe(false);
    const hook = gt(town, ['daemon', 'ensure', '--hook'], quiet);
    expect(hook).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const pid = status(town).pid!;
    expect(status(town).running).toBe(true);
    expect(pid).not.toBe(up.daemon.pid);
    expect(daemonsOf(town)).toEqual([pid]);
    // gt down: the town is not marked up, and ensure starts nothing
    gtJson(town, ['down']);
    expect(gt(town, ['daemon', 'ensure'], quiet).stdout).toMatch(/^Nothing to do: the town is not marked up/);
    expect(gt(town, ['daemon', 'ensure', '--hook'], quiet)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(status(town).running).toBe(false);
    // outside a town: an error, except as a hook (which must never disturb the agent's turn)
    const outside = join(town, '..');
    expect(gt(outside, ['daemon', 'ensure'], quiet).code).not.toBe(0);
    expect(gt(outside, ['daemon', 'ensure', '--hook'], quiet)).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it("the town's scripted agents start it again on their own (the witness's patrol, the refinery's or the mayor's look), and the daemon is no part of a rig's sessions", async () => {
    const { town } = newTown();
    const env = { ...fast, GT_WITNESS_INTERVAL_MS: '300' };
    const up = gtJson<{ daemon: { pid: number } }>(town, ['up'], env);
    process.kill(up.daemon.pid, 'SIGKILL'); // (the witness may start the next one before a status would see it gone)
    await waitFor(() => !running(up.daemon.pid), 'the daemon to die');
    const restarted = (): boolean => {
      const s = status(town);
      return s.running && s.pid !== up.daemon.pid;
    };
    await waitFor(restarted, 'an agent of the rig to start the daemon again');
    const pid = status(town).pid!;
    // (an agent starting as gt up runs may have started the first daemon too: that line names another pid)
    expect(logLines(town).filter((l) => l.endsWith(`started, pid ${pid}`))).toEqual([expect.stringMatching(/ (alpha\/witness|alpha\/refinery|mayor): start the daemon: daemon not running: /)]);
    // gt down alpha ends the rig's sessions and everything they started, but not the daemon
    const down = gtJson<{ stopped: string[] }>(town, ['down', 'alpha']);
    expect(down.stopped[0]).toBe('gt-town-alpha-witness');
    expect(status(town)).toMatchObject({ running: true, pid });
    expect(daemonsOf(town)).toEqual([pid]);
  });

  it('with no witness up (the rig stopped by gt down alpha), the scripted mayor starts it again', async () => {
    const { town } = newTown();
    const env = { ...fast, GT_WITNESS_INTERVAL_MS: '300' };
    gtJson(town, ['up'], env);
    const down = gtJson<{ stopped: string[] }>(town, ['down', 'alpha'], env);
    expect(down.stopped).toContain('gt-town-alpha-witness');
    const before = status(town).pid!;
    process.kill(before, 'SIGKILL');
    await waitFor(() => !running(before), 'the daemon to die');
    await waitFor(() => status(town).running && status(town).pid !== before, 'the mayor to start the daemon again');
    const pid = status(town).pid!;
    expect(logLines(town).filter((l) => l.includes('start the daemon: daemon not running'))).toEqual([expect.stringMatching(new RegExp(`mayor: start the daemon: .*: started, pid ${pid}$`))]);
    expect(daemonsOf(town)).toEqual([pid]);
  });

  it('two starts at once make one daemon, and no error', async () => {
    const { town } = newTown();
    const starts = await Promise.all([1, 2].map(() => gtAsync(town, ['daemon', 'start', '--json'], fast)));
    for (const s of starts) expect(s).toMatchObject({ code: 0, stderr: '' });
    const results = starts.map((s) => JSON.parse(s.stdout) as { result: string; pid: number });
    expect(results.map((r) => r.result).sort()).toEqual(['running', 'started']);
    expect(results[0]!.pid).toBe(results[1]!.pid);
    expect(daemonsOf(town)).toEqual([results[0]!.pid]);
    expect(daemonOut(town)).toBe('');
  });

  it('two patrols at once after the daemon was killed start one daemon, and no error', async () => {
    const { town } = newTown(idle);
    const first = gtJson<{ pid: number }>(town, ['daemon', 'start'], quiet); // marks the town up
    await killDaemon(town, first.pid);
    const runs = await Promise.all([1, 2].map(() => gtAsync(town, ['witness', 'patrol', 'alpha', '--once', '--json'], quiet)));
    for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: '' });
    const daemons = runs.map((r) => (JSON.parse(r.stdout) as PatrolResult[])[0]!.daemon);
    const started = daemons.filter((d) => d?.result === 'started');
    expect(started).toHaveLength(1);
    // the other found it running: before it looked, or under the control lock
    for (const d of daemons.filter((x) => x !== started[0])) expect(d === undefined || d.result === 'running').toBe(true);
    expect(daemonsOf(town)).toEqual([started[0]!.pid]);
    expect(status(town)).toMatchObject({ running: true, pid: started[0]!.pid });
    expect(daemonOut(town)).toBe('');
  });

  it('a hung daemon (alive, its heartbeat stale) is stopped and started again', async () => {
    const { town } = newTown(idle);
    const first = gtJson<{ pid: number }>(town, ['daemon', 'start'], quiet);
    const stale = { ...quiet, GT_DAEMON_STALE_MS: '1500' };
    expect(patrol(town, stale).daemon).toBeUndefined();
    process.kill(first.pid, 'SIGSTOP');
    const beat = join(town, '.gt', 'daemon', 'heartbeat.json');
    await waitFor(() => Date.now() - statSync(beat).mtimeMs > 3000, 'the heartbeat to go stale');
    expect(status(town)).toMatchObject({ running: true, pid: first.pid });
    const r = patrol(town, stale);
    expect(r.daemon).toMatchObject({ action: 'restart', done: true, result: 'started' });
    expect(r.daemon!.reason).toMatch(new RegExp(`^daemon hung: pid ${first.pid} is alive but its heartbeat is [\\d.]+ s old \\(stale after 1.5 s, interval 0.1 s\\)$`));
    expect(running(first.pid)).toBe(false);
    expect(daemonsOf(town)).toEqual([r.daemon!.pid]);
  });
});

describe('gt down RIG', () => {
  it('stops the witness first, and then neither a patrol nor the daemon nor dispatch touches the rig: it is held', async () => {
    const slow = ['## Molecule: slow', 'Takes its time.', '', '## Step: wait', '```sh', 'sleep 600', '```', ''].join('\n');
    const { town } = newTown({ settings: { spawn_grace: '1s' }, molecules: { slow } });
    gtJson(town, ['up'], fast);
    const id = bdJson<{ id: string }>(town, ['create', 'slow work', '--rig', 'alpha']).id;
    const slung = gtJson<{ address: string; session: string }>(town, ['sling', id, 'alpha', '--molecule', 'slow'], fast);
    const state = (address: string): string | undefined => gtJson<{ address: string; state: string }[]>(town, ['agents']).find((a) => a.address === address)?.state;
    await waitFor(() => state(slung.address) === 'running', 'the polecat to run');
    const down = gtJson<{ stopped: string[] }>(town, ['down', 'alpha']);
    expect(down.stopped[0]).toBe('gt-town-alpha-witness');
    expect(down.stopped).toEqual(expect.arrayContaining(['gt-town-alpha-refinery', slung.session]));
    expect(state(slung.address)).toBe('absent');
    // past its spawn grace, with the daemon ticking on and dispatch on auto, a ready bead waiting
    expect(gt(town, ['rig', 'settings', 'alpha', 'dispatch', 'auto']).code).toBe(0);
    const ready = bdJson<{ id: string }>(town, ['create', 'ready work', '--rig', 'alpha']).id;
    const ticks = status(town).ticks;
    await new Promise((r) => setTimeout(r, 1500));
    await waitFor(() => status(town).ticks >= ticks + 5, 'five more ticks');
    const r = patrol(town);
    expect(r).toMatchObject({ rig: 'alpha', held: { by: 'gt down alpha' }, findings: [] });
    expect(r.daemon).toBeUndefined();
    const text = gt(town, ['witness', 'patrol', 'alpha', '--once'], fast);
    expect(text.stdout).toMatch(/^alpha: held by gt down alpha since \S+: its polecats are left alone \(gt up alpha releases it\)$/m);
    expect(gtJson<{ held?: { by: string }; slung: unknown[] }[]>(town, ['dispatch', 'alpha'], fast)[0]).toMatchObject({ held: { by: 'gt down alpha' }, slung: [] });
    expect(state(slung.address)).toBe('absent');
    const [waiting] = bdJson<{ status: string; assignee?: string }[]>(town, ['show', ready, '--rig', 'alpha']);
    expect(waiting!.status).toBe('open');
    expect(waiting!.assignee).toBeUndefined();
    // gt up alpha releases the hold: the polecat is resumed
    gtJson(town, ['up', 'alpha'], fast);
    expect(patrol(town).held).toBeUndefined();
    await waitFor(() => state(slung.address) === 'running', 'the polecat to run again');
  });
});
