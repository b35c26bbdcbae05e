// The witness patrol on a town of scripted polecats in real tmux: each detection with its action, the re-check
// before acting (Gas Town #909, #4698), spawn grace (#2036), rescue of unpushed work (#1379), release after
// max_restarts, the lock, and the dry run. The patrol is called in-process (its `now` moves the clock past
// spawn grace and stall_after; its `beforeAction` changes things between decision and action), and as gt
// witness patrol.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, closeBead, listBeads, updateBead, type Bead } from '@gastown/beads';
import { agentFor, capturePane, launchAgent, requireTown, townSessions, townSocket, witnessPatrol, type PatrolFinding, type PatrolOptions, type PatrolResult, type Town } from '@gastown/gastown';
import { BD, GT, bd, bdJson, git, gt, gtJson, waitFor } from './helpers.js';

const tools = { node: process.execPath, gt: GT, bd: BD };
const scripted = { GT_RUNTIME: 'scripted' };
const bases: string[] = [];
const towns: string[] = [];
afterEach(() => {
  for (const town of towns.splice(0)) gt(town, ['down']);
  for (const base of bases.splice(0)) rmSync(base, { recursive: true, force: true });
});

interface Fixture {
  base: string;
  dir: string;
  remote: string;
  clone: string;
  town: Town;
  store: BeadStore;
}

/**
 * A town with rig alpha cloned from a bare remote, whose project has molecule `two` (step first writes a file,
 * step second does what the bead's `step=second` block says) and `tiny` (one step). Settings short for tests.
 */
function newTown(settings: Record<string, string> = {}): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'gt-witness-'));
  bases.push(base);
  const src = join(base, 'alpha-src');
  git(base, 'init', '-q', '-b', 'main', src);
  writeFileSync(join(src, 'README'), 'alpha\n');
  bd(src, ['init', '--prefix', 'al']);
  mkdirSync(join(src, 'molecules'));
  writeFileSync(join(src, 'molecules', 'two.md'), ['## Molecule: two', 'Two steps.', '', '## Step: first', '```sh', 'echo "first of $GT_AGENT" > "first-$GT_POLECAT.txt"', '```', '', '## Step: second', 'Do what the bead says for this step.', 'Needs: first', ''].join('\n'));
  writeFileSync(join(src, 'molecules', 'tiny.md'), ['## Molecule: tiny', 'Write a file.', '', '## Step: write', '```sh', 'echo "work of $GT_AGENT" > "work-$GT_POLECAT.txt"', '```', ''].join('\n'));
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'start');
  const remote = join(base, 'alpha.git');
  git(base, 'clone', '-q', '--bare', src, remote);
  const dir = join(base, 'town');
  gt(base, ['install', dir]);
  towns.push(dir);
  gtJson(dir, ['rig', 'add', 'alpha', remote]);
  for (const [key, value] of Object.entries({ spawn_grace: '1s', stall_after: '1h', max_restarts: '3', ...settings })) {
    const r = gt(dir, ['rig', 'settings', 'alpha', key, value]);
    if (r.code !== 0) throw new Error(`gt rig settings alpha ${key} ${value}: ${r.stderr}`);
  }
  const clone = join(dir, 'alpha', 'main');
  return { base, dir, remote, clone, town: requireTown(dir), store: BeadStore.open(join(clone, '.beads')) };
}

interface Slung {
  id: string;
  polecat: string;
  address: string;
  session: string;
  worktree: string;
}

/** Slings a new bead with molecule `molecule`; `second` is the shell code of its step=second block. */
function sling(f: Fixture, title: string, molecule: string, second?: string): Slung {
  const description = second ? ['Work.', '', '```sh step=second', second, '```', ''].join('\n') : 'Work.';
  const id = bdJson<{ id: string }>(f.dir, ['create', title, '--rig', 'alpha', '-d', description]).id;
  const r = gtJson<{ polecat: string; address: string; session: string; worktree: string }>(f.dir, ['sling', id, 'alpha', '--molecule', molecule], scripted);
  return { id, ...r };
}

const pane = (f: Fixture, s: Slung): string => {
  try {
    return capturePane(townSocket(f.town), s.session, 200);
  } catch {
    return '';
  }
};
const session = (f: Fixture, s: Slung) => townSessions(f.town).get(s.session);
async function killSession(f: Fixture, s: Slung): Promise<void> {
  spawnSync('tmux', ['-L', townSocket(f.town), 'kill-session', '-t', `=${s.session}`]);
  await waitFor(() => !session(f, s), `${s.session} gone`);
}
const bead = (f: Fixture, id: string): Bead => f.store.get(id);
const witnessOf = (b: Bead): Record<string, unknown> | undefined => (b.metadata as { witness?: Record<string, unknown> } | undefined)?.witness;

/** The patrol of alpha with the clock `ahead` ms from now (past spawn grace and stall_after). */
function patrol(f: Fixture, ahead: number, extra: Partial<PatrolOptions> = {}): PatrolResult {
  return witnessPatrol(f.town, 'alpha', { tools, now: Date.now() + ahead, ...extra });
}
const mailTo = (f: Fixture, to: string): string[] => bdJson<Bead[]>(f.dir, ['list', '-t', 'message', '-n', '0', '--all', '--assignee', to]).map((m) => m.title);
const only = (r: PatrolResult): PatrolFinding => {
  expect(r.findings).toHaveLength(1);
  return r.findings[0]!;
};

/** A polecat of molecule two that hangs in its second step (sleep 600), with its first step done. */
async function hanging(f: Fixture, title = 'hang'): Promise<Slung> {
  const s = sling(f, title, 'two', 'sleep 600');
  await waitFor(() => pane(f, s).includes('[step] second'), `${s.address} at step second`, 60_000);
  return s;
}

/** What the refinery leaves after landing a merge request, done by hand: a rebased copy on main, the branch deleted, both beads closed. */
function merge(f: Fixture, mr: Bead, tag: string): void {
  const meta = (mr.metadata as { merge_request: { branch: string; commit: string; source_bead: string } }).merge_request;
  const land = join(f.base, tag);
  git(f.base, 'clone', '-q', f.remote, land);
  git(land, 'fetch', '-q', 'origin', meta.branch);
  git(land, 'cherry-pick', meta.commit);
  git(land, 'push', '-q', 'origin', 'HEAD:main');
  git(land, 'push', '-q', 'origin', '--delete', meta.branch);
  updateBead(f.store, 'alpha/refinery', mr.id, { metadata: { ...(mr.metadata as object), mq: { state: 'merged', queued_at: mr.created_at, retries: 0, reworks: 0, attempts: [] } } });
  closeBead(f.store, 'alpha/refinery', mr.id, 'merged');
  closeBead(f.store, 'alpha/refinery', meta.source_bead, 'merged');
}

describe('gt witness patrol', () => {
  it('has --help naming --once, --dry-run, --interval and --json', () => {
    const r = gt(tmpdir(), ['witness', 'patrol', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--once', '--dry-run', '--interval', '--json']) expect(r.stdout).toContain(flag);
  });

  it('without --once patrols every --interval, printing one JSON line per round, until stopped', async () => {
    const f = newTown();
    const child = spawn(process.execPath, [GT, 'witness', 'patrol', '--interval', '200ms', '--json'], { cwd: f.dir, env: { ...process.env, ...scripted } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => out.split('\n').filter(Boolean).length >= 3, 'three rounds');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const rounds = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { at: string; rigs: PatrolResult[] });
    for (const r of rounds) expect(r.rigs).toEqual([{ rig: 'alpha', dry_run: false, findings: [] }]);
    const bad = gt(f.dir, ['witness', 'patrol', '--interval', 'soon']);
    expect([bad.code, bad.stderr]).toEqual([4, 'gt: invalid --interval "soon": use a duration such as 30s, 10m, 2h or 7d\n']);
  });

  it('restarts a polecat whose session is gone, then one whose runtime died, with the hook kept; the successor continues at the first step not closed', async () => {
    const f = newTown();
    const s = await hanging(f);
    const first = session(f, s)!;
    // nothing wrong yet: no findings
    expect(patrol(f, 5_000).findings).toEqual([]);

    await killSession(f, s);
    const gone = only(patrol(f, 5_000));
    expect(gone).toMatchObject({ polecat: s.address, bead: s.id, kind: 'session_gone', action: 'restart', done: true, restarts: 1 });
    expect(gone.evidence).toContain('no tmux session');
    const second = session(f, s)!;
    expect(second.instance).not.toBe(first.instance);
    expect(bead(f, s.id)).toMatchObject({ status: 'hooked', assignee: s.address });
    expect(witnessOf(bead(f, s.id))).toMatchObject({ restarts: 1 });
    // the successor primed onto the same bead and went on with step second (first stays closed, not redone)
    await waitFor(() => pane(f, s).includes('[step] second'), 'the successor at step second');
    expect(pane(f, s)).toContain(`hooked: ${s.id}`);
    expect(pane(f, s)).not.toContain('[step] first');

    // SIGKILL of the runtime: the pane stays, dead
    process.kill(second.pid, 'SIGKILL');
    await waitFor(() => session(f, s)?.dead === true, 'the runtime dead');
    // within spawn grace of the restart: left alone
    expect(patrol(f, 0).findings).toEqual([]);
    const dead = only(patrol(f, 10_000)); // (the restart was recorded at the clock's +5 s)
    expect(dead).toMatchObject({ kind: 'runtime_dead', action: 'restart', done: true, restarts: 2 });
    await waitFor(() => session(f, s)?.dead === false && pane(f, s).includes('[step] second'), 'the runtime running again at step second');
    expect(session(f, s)!.instance).not.toBe(second.instance);
  });

  it('nudges a stalled polecat once, then restarts it; a change between decision and action means nothing is done', async () => {
    const f = newTown({ stall_after: '2s' });
    const s = await hanging(f);
    // first sight of the pane: not stalled yet (its screen has not been seen unchanged for stall_after)
    expect(patrol(f, 3_000).findings).toEqual([]);
    // the bead changes between the decision and the action: nothing is done
    const changed = only(patrol(f, 6_000, { beforeAction: () => void updateBead(f.store, 'tester', s.id, { notes: 'touched' }) }));
    expect(changed).toMatchObject({ kind: 'stalled', action: 'nudge', done: false });
    expect(changed.reason).toMatch(/^changed since the decision/);
    expect(witnessOf(bead(f, s.id))).toBeUndefined();
    expect(pane(f, s)).not.toContain('[gt witness]');

    // so does a step of its molecule (progress): nothing is done
    const step = listBeads(f.store, { assignee: s.address, status: ['in_progress'], limit: 0 })[0]!;
    const progressed = only(patrol(f, 9_000, { beforeAction: () => void updateBead(f.store, 'tester', step.id, { notes: 'progress' }) }));
    expect(progressed).toMatchObject({ kind: 'stalled', action: 'nudge', done: false });
    expect(progressed.reason).toBe(`changed since the decision: a step or the merge request of ${s.id} was updated`);

    const nudge = only(patrol(f, 12_000));
    expect(nudge).toMatchObject({ kind: 'stalled', action: 'nudge', done: true });
    expect(nudge.evidence).toMatch(/pane unchanged since/);
    const instance = session(f, s)!.instance;
    expect(witnessOf(bead(f, s.id))).toMatchObject({ nudged_instance: instance, restarts: 0 });
    // still stalled: a second nudge is not sent to the same instance; it is restarted
    let restart: PatrolFinding | undefined;
    for (let ahead = 15_000; ahead <= 33_000 && !restart; ahead += 3_000) {
      const r = patrol(f, ahead);
      expect(r.findings.every((x) => x.action !== 'nudge')).toBe(true);
      restart = r.findings.find((x) => x.action === 'restart');
    }
    expect(restart).toMatchObject({ kind: 'stalled', done: true, restarts: 1 });
    expect(session(f, s)!.instance).not.toBe(instance);
  });

  it('leaves a polecat in spawn grace alone, even with its session gone (#2036); acts once grace has passed', async () => {
    const f = newTown({ spawn_grace: '1h' });
    const s = sling(f, 'fresh', 'two', 'sleep 600');
    await killSession(f, s);
    const before = bead(f, s.id);
    expect(patrol(f, 0)).toEqual({ rig: 'alpha', dry_run: false, findings: [] });
    expect(patrol(f, 30 * 60_000).findings).toEqual([]);
    expect(session(f, s)).toBeUndefined();
    expect(bead(f, s.id).updated_at).toBe(before.updated_at);
    expect(only(patrol(f, 61 * 60_000))).toMatchObject({ kind: 'session_gone', action: 'restart', done: true });
    expect(session(f, s)).toBeDefined();
  });

  it('does nothing when the session was made again under the same name between decision and action (#909), or the bead was closed (#4698)', async () => {
    const f = newTown();
    const s = await hanging(f);
    await killSession(f, s);
    // a fresh session under the same name appears after the decision: the patrol leaves it alone
    const remade = only(patrol(f, 5_000, { beforeAction: () => void launchAgent(f.town, agentFor(f.town, 'polecat', 'alpha', s.polecat), { tools }) }));
    expect(remade).toMatchObject({ kind: 'session_gone', action: 'restart', done: false });
    expect(remade.reason).toMatch(/^changed since the decision: the session is /);
    const fresh = session(f, s)!;
    expect(witnessOf(bead(f, s.id))).toBeUndefined();
    await waitFor(() => pane(f, s).includes('[step] second'), 'the fresh session at work');
    expect(session(f, s)!.instance).toBe(fresh.instance);

    // its bead is closed by hand after the decision: no restart, no re-prime onto a closed bead
    await killSession(f, s);
    const closed = only(patrol(f, 10_000, { beforeAction: () => void closeBead(f.store, 'tester', s.id, 'not needed') }));
    expect(closed).toMatchObject({ kind: 'session_gone', done: false });
    expect(closed.reason).toMatch(/^changed since the decision: its hook holds nothing/);
    expect(session(f, s)).toBeUndefined();
    // and later patrols never start a session for the closed bead
    expect(patrol(f, 15_000).findings).toEqual([]);
    expect(session(f, s)).toBeUndefined();
    expect(listBeads(f.store, { issue_type: ['merge-request'], all: true, limit: 0 })).toEqual([]);
  });

  it('stops a session still running for a closed bead, rescuing its unpushed work to a rescue branch on the remote (#1379); the worktree is kept', async () => {
    const f = newTown();
    const s = await hanging(f);
    writeFileSync(join(s.worktree, 'half-done.txt'), 'not committed\n');
    closeBead(f.store, 'tester', s.id, 'closed by hand');
    const stop = only(patrol(f, 5_000));
    expect(stop).toMatchObject({ polecat: s.address, bead: s.id, kind: 'closed_bead_session', action: 'stop', done: true });
    expect(stop.rescue).toMatchObject({ pushed: f.remote });
    const branch = stop.rescue!.branch!;
    expect(branch).toMatch(/^rescue\/nux-\d{8}T\d{6}$/);
    expect(session(f, s)).toBeUndefined();
    expect(existsSync(s.worktree)).toBe(true);
    // the remote has the work: the file not committed, and the commit of step first that was never pushed
    const files = git(f.remote, 'ls-tree', '-r', '--name-only', branch).split('\n');
    expect(files).toEqual(expect.arrayContaining(['half-done.txt', 'first-nux.txt']));
    expect(patrol(f, 10_000).findings).toEqual([]);
  });

  it('releases the work after max_restarts: branch pushed, bead open and unassigned with its closed steps kept, session stopped, mayor and overseer mailed', async () => {
    const f = newTown({ max_restarts: '1' });
    const s = await hanging(f);
    const kill = async (): Promise<void> => {
      spawnSync('tmux', ['-L', townSocket(f.town), 'kill-session', '-t', `=${s.session}`]);
      await waitFor(() => !session(f, s), 'the session gone');
    };
    await kill();
    expect(only(patrol(f, 5_000))).toMatchObject({ action: 'restart', done: true, restarts: 1 });
    await waitFor(() => pane(f, s).includes('[step] second'), 'the successor at step second');
    await kill();
    const released = only(patrol(f, 10_000));
    expect(released).toMatchObject({ kind: 'session_gone', action: 'release', done: true });
    expect(released.rescue).toMatchObject({ pushed: f.remote });
    expect(git(f.remote, 'ls-tree', '-r', '--name-only', released.rescue!.branch!)).toContain('first-nux.txt');
    const b = bead(f, s.id);
    expect(b.status).toBe('open');
    expect(b.assignee ?? '').toBe('');
    expect(witnessOf(b)).toMatchObject({ restarts: 0, releases: 1, last: { kind: 'session_gone', action: 'release' } });
    expect(released.seen).toMatchObject({ session: 'absent', instance: null, restarts: 1 });
    const steps = listBeads(f.store, { assignee: s.address, all: true, limit: 0 }).filter((x) => (x.metadata as { step?: string } | undefined)?.step);
    expect(steps.find((x) => (x.metadata as { step: string }).step.endsWith('first'))?.status).toBe('closed');
    expect(session(f, s)).toBeUndefined();
    expect(existsSync(s.worktree)).toBe(true);
    for (const to of ['mayor', 'overseer']) expect(mailTo(f, to)).toEqual([`Released ${s.id} from ${s.address} after 1 restart(s)`]);
    // nothing more to do for it
    expect(patrol(f, 15_000).findings).toEqual([]);
  });

  it('nudges a polecat stuck in gt done, which then files its merge request; collects it once merged', async () => {
    const f = newTown();
    const s = sling(f, 'stuck in done', 'two', 'exit 3');
    await waitFor(() => pane(f, s).includes('the step stays open'), 'step second failed');
    // its last step is closed by someone else: every step closed, nothing filed
    const second = listBeads(f.store, { assignee: s.address, status: ['in_progress'], limit: 0 })[0]!;
    closeBead(f.store, 'tester', second.id, 'done by hand');
    const stuck = only(patrol(f, 5_000));
    expect(stuck).toMatchObject({ kind: 'stuck_in_done', action: 'nudge', done: true });
    const mrs = (): Bead[] => listBeads(f.store, { issue_type: ['merge-request'], all: true, limit: 0 });
    await waitFor(() => mrs().length === 1, 'the merge request filed after the nudge');
    expect(patrol(f, 10_000).findings).toEqual([]); // in the queue: the refinery's

    // merged (as the refinery leaves it): collected by gt polecat gc
    merge(f, mrs()[0]!, 'land');
    const collect = only(patrol(f, 15_000));
    expect(collect).toMatchObject({ kind: 'idle_after_merged', action: 'collect', done: true });
    expect(collect.reason).toMatch(/^collected/);
    expect(existsSync(s.worktree)).toBe(false);
    expect(session(f, s)).toBeUndefined();
  });

  it('collects merged polecats; one whose worktree holds work after its merge is kept, its work pushed to a rescue branch and its session stopped', async () => {
    const f = newTown();
    const nux = sling(f, 'clean', 'tiny');
    const slit = sling(f, 'more after merge', 'tiny');
    const mrs = (): Bead[] => listBeads(f.store, { issue_type: ['merge-request'], all: true, limit: 0 });
    await waitFor(() => mrs().length === 2, 'two merge requests', 60_000);
    for (const mr of mrs()) merge(f, mr, `land-${mr.id}`);
    writeFileSync(join(slit.worktree, 'later.txt'), 'after the merge\n');
    git(slit.worktree, 'add', 'later.txt');
    git(slit.worktree, 'commit', '-qm', 'later');
    const r = patrol(f, 5_000);
    const by = Object.fromEntries(r.findings.map((x) => [x.polecat, x]));
    expect(by[nux.address]).toMatchObject({ kind: 'idle_after_merged', action: 'collect', done: true });
    expect(by[slit.address]).toMatchObject({ kind: 'idle_after_merged', action: 'collect', done: true, rescue: { pushed: f.remote } });
    expect(by[slit.address]!.reason).toMatch(/^kept by gt polecat gc \(1 commit\(s\) not pushed\); session stopped/);
    expect(existsSync(nux.worktree)).toBe(false);
    expect(existsSync(slit.worktree)).toBe(true);
    expect(session(f, slit)).toBeUndefined();
    expect(git(f.remote, 'ls-tree', '-r', '--name-only', by[slit.address]!.rescue!.branch!)).toContain('later.txt');
    expect(mailTo(f, 'overseer')).toEqual([`Merged polecat ${slit.address} had more work`]);
    expect(patrol(f, 10_000).findings).toEqual([]);
  });

  it('the scripted witness patrols its rig on an interval: a polecat whose session is gone is restarted without anyone asking', async () => {
    const f = newTown();
    gtJson(f.dir, ['up', 'alpha'], { ...scripted, GT_WITNESS_INTERVAL_MS: '300' });
    const s = await hanging(f);
    const first = session(f, s)!;
    await killSession(f, s);
    await waitFor(() => {
      const now = session(f, s);
      return Boolean(now && now.instance !== first.instance && pane(f, s).includes('[step] second'));
    }, 'the witness to restart the polecat', 60_000);
    const witness = { session: agentFor(f.town, 'witness', 'alpha').session } as Slung;
    await waitFor(() => pane(f, witness).includes(`[witness] ${s.address}: session_gone`), 'the witness to log what it did');
    expect(pane(f, witness)).toMatch(/session_gone \(no tmux session;.*\) -> restart: done: started with the hook kept \(restart 1 of 3\)/);
    expect(witnessOf(bead(f, s.id))).toMatchObject({ restarts: 1 });
  });

  it('a dry run says what it would do and changes nothing; gt witness patrol --once acts; a patrol while another holds the lock does nothing', async () => {
    const f = newTown();
    const s = await hanging(f);
    await killSession(f, s);
    const before = bead(f, s.id);
    const dry = only(patrol(f, 5_000, { dryRun: true }));
    expect(dry).toMatchObject({ kind: 'session_gone', action: 'restart', done: false, reason: 'dry run: nothing done' });
    expect(session(f, s)).toBeUndefined();
    expect(bead(f, s.id).updated_at).toBe(before.updated_at);
    expect(existsSync(join(f.dir, '.gt', 'witness', 'alpha.json'))).toBe(false);

    // the lock: a patrol started while this one is between decision and action returns at once
    let inner: PatrolResult | undefined;
    const outerAt = Date.now() + 2_000;
    const outer = only(witnessPatrol(f.town, 'alpha', { tools, now: outerAt, beforeAction: () => void (inner = patrol(f, 2_000)) }));
    expect(inner).toEqual({ rig: 'alpha', dry_run: false, busy: true, findings: [] });
    expect(outer).toMatchObject({ action: 'restart', done: true });

    // the command: a dry run, then a real round (spawn grace of the restart passed by the real clock)
    await waitFor(() => pane(f, s).includes('[step] second'), 'the successor at work');
    await killSession(f, s);
    await waitFor(() => Date.now() > outerAt + 1500, 'spawn grace (1s) after the restart to pass');
    const cliDry = gtJson<PatrolResult[]>(f.dir, ['witness', 'patrol', 'alpha', '--once', '--dry-run']);
    expect(cliDry).toEqual([{ rig: 'alpha', dry_run: true, findings: [expect.objectContaining({ kind: 'session_gone', action: 'restart', done: false })] }]);
    expect(session(f, s)).toBeUndefined();
    const text = gt(f.dir, ['witness', 'patrol', '--once']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`alpha: ${s.address} (${s.id}): session_gone: restart: started with the hook kept (restart 2 of 3)`);
    expect(session(f, s)).toBeDefined();
    const bad = gt(f.dir, ['witness', 'patrol', 'nosuch', '--once']);
    expect([bad.code, bad.stderr]).toEqual([3, 'gt: no rig nosuch in town town (rigs: alpha)\n']);
  });
});
