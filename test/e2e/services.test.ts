// Services as a person declares and sees them: gt service add|remove|reset, gt services [ensure], and a
// command that keeps failing, which the daemon backs off, then gives up on as a crash loop, mailing the
// overseer once.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gt, gtJson, waitFor } from './helpers.js';

const towns: { town: string; base: string }[] = [];
afterEach(() => {
  for (const { town, base } of towns.splice(0)) {
    gt(town, ['down']);
    rmSync(base, { recursive: true, force: true });
  }
});

// Ticks every 100 ms; backoff from 100 ms (doubling to 2 s; 5 restarts within 3 s are a crash loop).
const fast = { GT_RUNTIME: 'scripted', GT_DAEMON_INTERVAL_MS: '100', GT_SERVICE_BACKOFF_MS: '100' };

function newTown(tag: string): string {
  const base = mkdtempSync(join(tmpdir(), tag));
  const town = join(base, 'town');
  towns.push({ town, base });
  gt(base, ['install', town]);
  const source = join(base, 'alpha-src');
  git(base, 'init', '-q', source);
  writeFileSync(join(source, 'README'), 'alpha\n');
  git(source, 'add', '-A');
  git(source, 'commit', '-qm', 'start');
  gtJson(town, ['rig', 'add', 'alpha', source]);
  return town;
}

interface Row {
  name: string;
  kind: string;
  state: string;
  restarts: number;
  next_try_at: string | null;
  session: string;
  rig?: string;
  cwd?: string;
}
const services = (town: string): Row[] => gtJson<Row[]>(town, ['services']);
const service = (town: string, name: string): Row | undefined => services(town).find((r) => r.name === name);
const logText = (town: string): string => {
  try {
    return readFileSync(join(town, '.gt', 'daemon', 'daemon.log'), 'utf8');
  } catch {
    return '';
  }
};

describe('gt service and gt services', () => {
  it('declares a command service in its rig, runs it with gt services ensure, and removes it', async () => {
    const town = newTown('gt-svc-cli-');
    const added = gtJson<Row>(town, ['service', 'add', 'web', '--rig', 'alpha', '--cmd', 'echo "web of $GT_TOWN_NAME" > served; sleep 300']);
    expect(added).toMatchObject({ name: 'web', kind: 'command', rig: 'alpha', state: 'absent', session: 'gt-town-svc-web', cwd: join(town, 'alpha', 'main') });
    // a dry run says what it would do and does nothing
    const dry = gtJson<{ dry_run: boolean; actions: { service: string; action: string }[] }>(town, ['services', 'ensure', '--dry-run'], fast);
    expect(dry.dry_run).toBe(true);
    expect(dry.actions.map((a) => `${a.action} ${a.service}`)).toEqual(['create mayor', 'create alpha/witness', 'create alpha/refinery', 'start web']);
    expect(services(town).map((r) => r.name)).toEqual(['web']);
    const ensured = gtJson<{ actions: { service: string; action: string }[] }>(town, ['services', 'ensure'], fast);
    expect(ensured.actions.filter((a) => a.action === 'start').map((a) => a.service)).toEqual(['mayor', 'alpha/witness', 'alpha/refinery', 'web']);
    expect(services(town).map((r) => [r.name, r.state])).toEqual([
      ['mayor', 'running'],
      ['alpha/witness', 'running'],
      ['alpha/refinery', 'running'],
      ['web', 'running'],
    ]);
    expect(gt(town, ['services']).stdout).toMatch(/^web +running +restarts 1 +\$ echo/m);
    // it runs in the rig's clone, with the town's environment
    const served = join(town, 'alpha', 'main', 'served');
    await waitFor(() => existsSync(served) && readFileSync(served, 'utf8') === 'web of town\n', 'web to write its file');
    const removed = gtJson<{ name: string; stopped: string[] }>(town, ['service', 'remove', 'web']);
    expect(removed).toEqual({ name: 'web', stopped: ['gt-town-svc-web'] });
    expect(service(town, 'web')).toBeUndefined();
    const sessions = spawnSync('tmux', ['-L', gtJson<{ socket: string }>(town, ['up', '--no-daemon'], fast).socket, 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' }).stdout;
    expect(sessions).not.toContain('svc-web');
  });

  it("runs a command ending in ';' as given, in a session that keeps its pane", async () => {
    const town = newTown('gt-svc-semi-');
    // tmux read the trailing ';' as its own: find ran with a bare ';' (missing argument to -exec)
    gtJson(town, ['service', 'add', 'semi', '--rig', 'alpha', '--cmd', 'find . -maxdepth 0 -exec touch found \\;']);
    gtJson(town, ['services', 'ensure'], fast);
    await waitFor(() => existsSync(join(town, 'alpha', 'main', 'found')), 'the find to touch its file');
    const socket = gtJson<{ socket: string }>(town, ['up', '--no-daemon'], fast).socket;
    const option = spawnSync('tmux', ['-L', socket, 'show-options', '-w', '-v', '-t', '=gt-town-svc-semi:', 'remain-on-exit'], { encoding: 'utf8' });
    expect(option.stdout.trim()).toBe('on');
  });

  it('refuses bad input with one clear error each and writes nothing', () => {
    const town = newTown('gt-svc-bad-');
    gtJson(town, ['service', 'add', 'web', '--cmd', 'sleep 300']);
    const cases: [string[], number, RegExp][] = [
      [['service', 'add', 'api', '--rig', 'nope', '--cmd', 'x'], 3, /no rig nope in town town \(rigs: alpha\)/],
      [['service', 'add', 'Api', '--cmd', 'x'], 4, /invalid service name "Api"/],
      [['service', 'add', 'a/b', '--cmd', 'x'], 4, /invalid service name "a\/b"/],
      [['service', 'add', 'web', '--cmd', 'x'], 5, /a service named web exists already/],
      [['service', 'add', 'api', '--cmd', ''], 4, /a service needs a command/],
      [['service', 'add', 'api'], 2, /Missing required argument: cmd/],
      [['service', 'remove', 'nope'], 3, /no service "nope" \(services: web/],
      [['service', 'reset', 'nope'], 3, /no service "nope"/],
    ];
    for (const [args, code, message] of cases) {
      const r = gt(town, args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), code]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    }
    gtJson(town, ['services', 'ensure'], fast); // makes the standing ones
    const r = gt(town, ['service', 'remove', 'mayor']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/mayor is a standing agent's service and cannot be removed/);
    expect(services(town).map((x) => x.name)).toEqual(['mayor', 'alpha/witness', 'alpha/refinery', 'web']);
  });

  it('backs off a command that exits at once, then calls it a crash loop, stops restarting it and mails the overseer once', async () => {
    const town = newTown('gt-svc-loop-');
    gtJson(town, ['up', '--no-daemon'], fast); // the standing agents run: the daemon has only flappy to restart
    gtJson(town, ['service', 'add', 'flappy', '--cmd', 'exit 1']);
    gtJson(town, ['daemon', 'start'], fast);
    // the crash loop is recorded on the bead a moment before the daemon logs it: wait for both
    const loopLine = /services: flappy: crash_loop: 5 restarts within 3 s and its runtime died again: no more restarts \(gt service reset flappy clears it\)/;
    await waitFor(() => service(town, 'flappy')?.state === 'crash_loop' && loopLine.test(logText(town)), 'flappy to be a crash loop, logged', 60_000);
    const log = logText(town);
    expect((log.match(/services: flappy: (start|restart):/g) ?? []).length).toBe(5);
    expect(log).toMatch(/services: flappy: crash_loop: 5 restarts within 3 s and its runtime died again: no more restarts \(gt service reset flappy clears it\)/);
    // the daemon ticks on and leaves it alone
    const ticks = gtJson<{ ticks: number }>(town, ['daemon', 'status']).ticks;
    await waitFor(() => gtJson<{ ticks: number }>(town, ['daemon', 'status']).ticks >= ticks + 10, 'ten more ticks');
    expect((logText(town).match(/services: flappy: (start|restart):/g) ?? []).length).toBe(5);
    const mail = gtJson<{ subject: string; from: string; body: string }[]>(town, ['mail', 'inbox', '--to', 'overseer']).filter((m) => /flappy/.test(m.subject));
    expect(mail).toEqual([expect.objectContaining({ subject: 'service flappy is in a crash loop', from: 'daemon', body: expect.stringContaining('Command: exit 1') })]);
    expect(service(town, 'flappy')).toMatchObject({ state: 'crash_loop', restarts: 5 });
    // gt service reset: the daemon tries it again
    gtJson(town, ['service', 'reset', 'flappy']);
    await waitFor(() => (logText(town).match(/services: flappy: (start|restart):/g) ?? []).length > 5, 'a restart after the reset');
  });
});
