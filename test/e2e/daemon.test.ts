// The daemon as a person and gt up/down run it: one per town, detached, found by its nonce (never by a pid
// alone), killed with SIGKILL at any moment without loss, and gone, with everything of the town, after gt down.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gt, gtJson, running, waitFor } from './helpers.js';

const towns: { town: string; base: string }[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const { town, base } of towns.splice(0)) {
    gt(town, ['down']);
    rmSync(base, { recursive: true, force: true });
  }
});

// Short everything: ticks every 100 ms, backoff from 20 ms (window 600 ms), scripted agents.
const fast = { GT_RUNTIME: 'scripted', GT_DAEMON_INTERVAL_MS: '100', GT_SERVICE_BACKOFF_MS: '20' };

function newTown(tag: string): string {
  const base = mkdtempSync(join(tmpdir(), tag));
  const town = join(base, 'town');
  towns.push({ town, base });
  const r = gt(base, ['install', town]);
  if (r.code !== 0) throw new Error(r.stderr);
  return town;
}

interface Status {
  running: boolean;
  pid: number | null;
  last_tick: string | null;
  ticks: number;
  stale_pidfile: boolean;
}
const status = (town: string): Status => gtJson<Status>(town, ['daemon', 'status']);
const logText = (town: string): string => {
  const p = join(town, '.gt', 'daemon', 'daemon.log');
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
};
const socketOf = (town: string): string => gtJson<{ socket: string }>(town, ['up', '--no-daemon'], fast).socket;

/** Processes whose environment marks them as the town's: a session's tag, or a daemon's nonce. */
function townProcesses(socket: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let env: string[];
    try {
      env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const pid = Number(entry);
    if (pid !== process.pid && running(pid) && env.some((e) => e.startsWith(`GT_SESSION=${socket}/`) || e.startsWith('GT_DAEMON_NONCE='))) out.push(pid);
  }
  return out;
}

/** Processes whose environment carries this nonce (the daemon's, and nothing it started). */
function withNonce(nonce: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(`GT_DAEMON_NONCE=${nonce}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const tmuxAlive = (socket: string): boolean => spawnSync('tmux', ['-L', socket, 'list-sessions']).status === 0;

describe('gt daemon', () => {
  it('starts detached, reports itself running with its last tick, refuses a second, and stops', async () => {
    const town = newTown('gt-daemon-basic-');
    const started = gtJson<{ result: string; pid: number }>(town, ['daemon', 'start'], fast);
    expect(started.result).toBe('started');
    expect(running(started.pid)).toBe(true);
    await waitFor(() => status(town).ticks >= 2, 'two ticks');
    const s = status(town);
    expect(s).toMatchObject({ running: true, pid: started.pid, stale_pidfile: false });
    expect(Date.parse(s.last_tick!)).toBeGreaterThan(0);
    // the daemon's own environment carries its nonce; what the pidfile says is the same one
    const pidfile = JSON.parse(readFileSync(join(town, '.gt', 'daemon', 'daemon.pid'), 'utf8')) as { pid: number; nonce: string };
    expect(pidfile.pid).toBe(started.pid);
    expect(withNonce(pidfile.nonce)).toEqual([started.pid]);
    // a second start reports the running one; a second daemon in the foreground is refused
    expect(gtJson<{ result: string; pid: number }>(town, ['daemon', 'start'], fast)).toMatchObject({ result: 'running', pid: started.pid });
    const second = gt(town, ['daemon', 'run', '--once', '--json'], fast);
    expect(second.code).toBe(5);
    expect(JSON.parse(second.stdout).error.message).toContain(`a daemon is running for town town already (pid ${started.pid}`);
    // the standing services were made and started by its ticks
    await waitFor(() => gtJson<{ name: string; state: string }[]>(town, ['services']).some((r) => r.name === 'mayor' && r.state === 'running'), 'the mayor service to run');
    expect(logText(town)).toMatch(/services: mayor: start: it has no session/);
    const stopped = gtJson<{ result: string; pid: number }>(town, ['daemon', 'stop']);
    expect(stopped).toEqual({ result: 'stopped', pid: started.pid });
    expect(running(started.pid)).toBe(false);
    expect(status(town)).toMatchObject({ running: false, pid: null, stale_pidfile: false });
    // a SIGTERM that comes mid-tick ends it before its next step, and the log says which (seen in CI)
    expect(logText(town)).toMatch(/SIGTERM received: stopping after the current step\n(.* tick \d+: stop asked for: ending before \w+.*\n)?.*daemon stopped: SIGTERM\n$/);
    expect(gtJson<{ result: string }>(town, ['daemon', 'stop']).result).toBe('not_running');
  });

  it('never takes a live process that is not it for the daemon, whatever its pidfile says', async () => {
    const town = newTown('gt-daemon-stale-');
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(sleeper);
    const dir = join(town, '.gt', 'daemon');
    mkdirSync(dir, { recursive: true });
    const record = JSON.stringify({ pid: sleeper.pid, nonce: 'not-its-nonce', started_at: new Date().toISOString() });
    writeFileSync(join(dir, 'daemon.pid'), record);
    writeFileSync(join(dir, 'daemon.lock'), record);
    expect(status(town)).toMatchObject({ running: false, pid: null, stale_pidfile: true });
    // a new daemon takes the stale lock over; the sleeper is left alone
    const started = gtJson<{ result: string; pid: number }>(town, ['daemon', 'start'], fast);
    expect(started.result).toBe('started');
    expect(started.pid).not.toBe(sleeper.pid);
    expect(status(town)).toMatchObject({ running: true, pid: started.pid });
    expect(gtJson<{ result: string; pid: number }>(town, ['daemon', 'stop'])).toEqual({ result: 'stopped', pid: started.pid });
    expect(running(sleeper.pid!)).toBe(true);
    // stop with a stale pidfile kills nothing either
    writeFileSync(join(dir, 'daemon.pid'), record);
    expect(gtJson<{ result: string }>(town, ['daemon', 'stop']).result).toBe('not_running');
    expect(running(sleeper.pid!)).toBe(true);
    expect(existsSync(join(dir, 'daemon.pid'))).toBe(false);
  });

  it('killed with SIGKILL in the middle of a restart, loses nothing: the next daemon carries on', async () => {
    const town = newTown('gt-daemon-kill-');
    socketOf(town); // the standing agents run; the daemon only has the service to look after
    expect(gt(town, ['service', 'add', 'web', '--cmd', 'sleep 300']).code).toBe(0);
    const first = gtJson<{ pid: number }>(town, ['daemon', 'start'], fast);
    // the moment the daemon says it starts the service, it is killed
    await waitFor(() => /services: web: start: it has no session/.test(logText(town)), 'the daemon to start web', 30_000);
    process.kill(first.pid, 'SIGKILL');
    await waitFor(() => !running(first.pid), 'the daemon to die');
    expect(status(town)).toMatchObject({ running: false, stale_pidfile: true });
    const second = gtJson<{ result: string; pid: number }>(town, ['daemon', 'start'], fast);
    expect(second.result).toBe('started');
    await waitFor(() => gtJson<{ name: string; state: string }[]>(town, ['services']).find((r) => r.name === 'web')!.state === 'running', 'web to run', 30_000);
    await waitFor(() => status(town).ticks >= 3, 'the new daemon to tick on');
    // one web session, whichever daemon started it
    const sessions = spawnSync('tmux', ['-L', socketOf(town), 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' }).stdout.split('\n');
    expect(sessions.filter((s) => s === 'gt-town-svc-web')).toHaveLength(1);
    expect(gtJson<{ daemon: { result: string; pid: number } }>(town, ['down']).daemon).toEqual({ result: 'stopped', pid: second.pid });
  });

  it('gt down while the daemon is restarting something leaves no process of the town, the daemon included', async () => {
    const town = newTown('gt-daemon-down-');
    // a service that dies every half second and is restarted each time (it outlives the 600 ms window, so it
    // is never a crash loop)
    expect(gt(town, ['service', 'add', 'churn', '--cmd', 'sleep 0.5']).code).toBe(0);
    const up = gtJson<{ socket: string; daemon: { result: string; pid: number } }>(town, ['up'], fast);
    expect(up.daemon.result).toBe('started');
    const restarts = (): number => (logText(town).match(/services: churn: restart:/g) ?? []).length;
    await waitFor(() => restarts() >= 2, 'churn to be restarted twice', 60_000);
    const seen = restarts();
    await waitFor(() => restarts() > seen, 'another restart', 60_000);
    const down = gtJson<{ daemon: { result: string; pid: number }; stopped: string[] }>(town, ['down']);
    expect(down.daemon).toEqual({ result: 'stopped', pid: up.daemon.pid });
    expect(running(up.daemon.pid)).toBe(false);
    expect(townProcesses(up.socket)).toEqual([]);
    expect(tmuxAlive(up.socket)).toBe(false);
    // and nothing comes back
    await new Promise((r) => setTimeout(r, 1500));
    expect(townProcesses(up.socket)).toEqual([]);
    expect(tmuxAlive(up.socket)).toBe(false);
    expect(status(town).running).toBe(false);
  });

  it('gt up --no-daemon starts none; gt down RIG leaves the daemon running and holds the rig until gt up', async () => {
    const town = newTown('gt-daemon-up-');
    const source = join(town, '..', 'alpha-src');
    git(join(town, '..'), 'init', '-q', source);
    writeFileSync(join(source, 'README'), 'alpha\n');
    git(source, 'add', '-A');
    git(source, 'commit', '-qm', 'start');
    gtJson(town, ['rig', 'add', 'alpha', source]);
    const up = gtJson<{ daemon: unknown }>(town, ['up', '--no-daemon'], fast);
    expect(up.daemon).toBeNull();
    expect(status(town).running).toBe(false);
    const withDaemon = gtJson<{ daemon: { result: string; pid: number } }>(town, ['up'], fast);
    expect(withDaemon.daemon.result).toBe('started');
    expect(gtJson<{ daemon: { result: string } }>(town, ['up'], fast).daemon.result).toBe('running');
    const down = gtJson<{ daemon: unknown; stopped: string[] }>(town, ['down', 'alpha']);
    expect(down).toEqual({ daemon: null, stopped: ['gt-town-alpha-witness', 'gt-town-alpha-refinery'] }); // the witness first
    expect(status(town)).toMatchObject({ running: true, pid: withDaemon.daemon.pid });
    const ticks = status(town).ticks;
    await waitFor(() => status(town).ticks >= ticks + 3, 'three more ticks');
    const states = () => Object.fromEntries(gtJson<{ name: string; state: string }[]>(town, ['services']).map((r) => [r.name, r.state]));
    expect(states()).toEqual({ mayor: 'running', 'alpha/witness': 'held', 'alpha/refinery': 'held' });
    gtJson(town, ['up', 'alpha'], fast);
    expect(states()).toEqual({ mayor: 'running', 'alpha/witness': 'running', 'alpha/refinery': 'running' });
  });

  it('rotates its log, keeping two old files, and gt daemon logs reads across them', async () => {
    const town = newTown('gt-daemon-log-');
    expect(gt(town, ['service', 'add', 'churn', '--cmd', 'sleep 0.1']).code).toBe(0);
    const env = { ...fast, GT_DAEMON_LOG_BYTES: '600' };
    gtJson(town, ['daemon', 'start'], env);
    const dir = join(town, '.gt', 'daemon');
    await waitFor(() => existsSync(join(dir, 'daemon.log.2')), 'two rotations', 60_000);
    gtJson(town, ['daemon', 'stop']);
    expect(readdirSync(dir).filter((f) => f.startsWith('daemon.log')).sort()).toEqual(['daemon.log', 'daemon.log.1', 'daemon.log.2']);
    for (const f of ['daemon.log.1', 'daemon.log.2']) expect(readFileSync(join(dir, f), 'utf8').length).toBeLessThan(600 + 400);
    const all = ['daemon.log.2', 'daemon.log.1', 'daemon.log'].flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
    const n = Math.min(all.length, readFileSync(join(dir, 'daemon.log'), 'utf8').split('\n').filter(Boolean).length + 2);
    expect(gtJson<{ lines: string[] }>(town, ['daemon', 'logs', '-n', String(n)]).lines).toEqual(all.slice(-n));
  });
});
