// gt feed end to end: the events of a real flow (a bead slung to a scripted polecat, its step closed, gt done,
// the scripted refinery landing it) each appear once and in order; the witness restarting a polecat, then
// releasing its work; a failing gate's rework; --follow printing an event another process writes, and ending
// cleanly on SIGTERM; bad input refused with one clear error.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturePane, refineryRun, requireTown, townSessions, townSocket, witnessPatrol, type FeedEvent } from '../../packages/gastown/src/index.js';
import { BD, GT, bd, bdJson, git, gt, gtJson, waitFor } from './helpers.js';
import { RIG, fileMergeRequest, testRigs } from './refinery-harness.js';

jest.setTimeout(300_000);

type Event = FeedEvent; // the JSON lines gt feed --json prints

const feed = (town: string, ...args: string[]): Event[] => {
  const r = gt(town, ['feed', '--json', ...args]);
  if (r.code !== 0) throw new Error(`gt feed exited ${r.code}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
};
const of = (events: Event[], bead: string): string[] => events.filter((e) => e.bead === bead).map((e) => e.kind);

const towns: { town: string; base: string }[] = [];
afterEach(() => {
  for (const { town, base } of towns.splice(0)) {
    gt(town, ['down']);
    rmSync(base, { recursive: true, force: true });
  }
});

/** A town in tmux with scripted agents, its rig's remote holding a gate and a one-step molecule (`edit`). */
function scriptedTown(): string {
  const base = mkdtempSync(join(tmpdir(), 'gt-feed-'));
  const town = join(base, 'town');
  towns.push({ town, base });
  const work = join(base, 'work');
  git(base, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'shared.txt'), 'work of nobody\n');
  writeFileSync(join(work, 'test.sh'), '#!/bin/sh\nset -e\ncd "$(dirname "$0")"\n! grep -v "^work of" shared.txt\n', { mode: 0o755 });
  mkdirSync(join(work, '.gastown'));
  writeFileSync(join(work, '.gastown', 'settings.json'), JSON.stringify({ gates: ['./test.sh'] }) + '\n');
  mkdirSync(join(work, 'molecules'));
  writeFileSync(join(work, 'molecules', 'edit.md'), '## Molecule: edit\nOne change.\n\n## Step: change\nMake the change the bead describes.\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'start');
  git(base, 'clone', '-q', '--bare', work, join(base, 'alpha.git'));
  gt(base, ['install', town]);
  gtJson(town, ['rig', 'add', 'alpha', join(base, 'alpha.git'), '--prefix', 'al']);
  gtJson(town, ['up', '--no-daemon'], { GT_RUNTIME: 'scripted', GT_REFINERY_INTERVAL_MS: '500' });
  return town;
}

const newRig = testRigs();

/** A town whose polecat hangs in its molecule's second step, its witness settings short: restarted once, then released. */
async function hangingPolecat(): Promise<{ town: string; id: string; session: string }> {
  const base = mkdtempSync(join(tmpdir(), 'gt-feed-witness-'));
  const town = join(base, 'town');
  towns.push({ town, base });
  const src = join(base, 'alpha-src');
  git(base, 'init', '-q', '-b', 'main', src);
  writeFileSync(join(src, 'README'), 'alpha\n');
  bd(src, ['init', '--prefix', 'al']);
  mkdirSync(join(src, 'molecules'));
  writeFileSync(join(src, 'molecules', 'two.md'), ['## Molecule: two', 'Two steps.', '', '## Step: first', '```sh', 'echo first > first.txt', '```', '', '## Step: second', 'Hang.', 'Needs: first', '', '```sh', 'sleep 600', '```', ''].join('\n'));
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'start');
  git(base, 'clone', '-q', '--bare', src, join(base, 'alpha.git'));
  gt(base, ['install', town]);
  gtJson(town, ['rig', 'add', 'alpha', join(base, 'alpha.git')]);
  for (const [key, value] of Object.entries({ spawn_grace: '1s', stall_after: '1h', max_restarts: '1' })) expect(gt(town, ['rig', 'settings', 'alpha', key, value]).code).toBe(0);
  const id = bdJson<{ id: string }>(town, ['create', 'hang', '--rig', 'alpha']).id;
  const { session } = gtJson<{ session: string }>(town, ['sling', id, 'alpha', '--molecule', 'two'], { GT_RUNTIME: 'scripted' });
  return { town, id, session };
}

describe('gt feed', () => {
  it('a bead slung, worked, filed and merged by the scripted agents: each of its events once, in order', async () => {
    const town = scriptedTown();
    const description = 'Say one in shared.txt.\n\n```sh step=change\necho "work of one" >> shared.txt\n```\n';
    const id = bdJson<{ id: string }>(town, ['create', 'append one', '--rig', 'alpha', '-d', description]).id;
    const slung = gtJson<{ address: string; molecule: { id: string } }>(town, ['sling', id, 'alpha', '--molecule', 'edit'], { GT_RUNTIME: 'scripted' });
    const merged = (): Event | undefined => feed(town).find((e) => e.kind === 'merged');
    await waitFor(() => merged() !== undefined && of(feed(town), id).includes('closed'), `${id} to be merged`, 120_000);
    const events = feed(town);
    const mr = merged()!.bead;
    const step = events.find((e) => e.kind === 'step_closed')!.bead;
    expect(of(events, id)).toEqual(['created', 'claimed', 'closed']);
    expect(of(events, slung.molecule.id)).toEqual(['poured', 'closed']); // its last step closed it
    expect(of(events, step)).toEqual(['step_closed']);
    expect(of(events, mr)).toEqual(['mr_filed', 'merged']);
    const index = (kind: string, bead: string): number => events.findIndex((e) => e.kind === kind && e.bead === bead);
    const order = [index('created', id), index('claimed', id), index('poured', slung.molecule.id), index('step_closed', step), index('mr_filed', mr), index('merged', mr)];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // the polecat told the refinery and the witness; the refinery told the polecat and the witness MERGED
    const mail = events.filter((e) => e.kind === 'mail');
    expect(mail.map((e) => e.text)).toEqual(expect.arrayContaining([expect.stringContaining(`${slung.address} -> alpha/refinery: Merge request ${mr}`), expect.stringContaining(`alpha/refinery -> ${slung.address}: MERGED ${mr}`)]));
    expect(mail.every((e) => e.store === 'hq' && e.rig === 'alpha')).toBe(true);
    expect(events.filter((e) => e.kind === 'merged')).toHaveLength(1);
    expect(events.map((e) => Date.parse(e.at))).toEqual(events.map((e) => Date.parse(e.at)).sort((a, b) => a - b));
    // the same as lines for people
    const text = gt(town, ['feed']).stdout.split('\n').filter(Boolean);
    // (an agent may write more meanwhile: as many lines as events, counted before and after)
    expect(text.length).toBeGreaterThanOrEqual(events.length);
    expect(text.length).toBeLessThanOrEqual(feed(town).length);
    expect(text.find((l) => l.includes('  merged  '))).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  alpha  merged       ${mr} polecat/\\S+ 'append one' in [0-9a-f]{12}$`));
  });

  it('the witness restarting a polecat whose session is gone, then releasing its work: restarted and released once each', async () => {
    const { town: dir, id, session } = await hangingPolecat();
    const town = requireTown(dir);
    const pane = (): string => {
      try {
        return capturePane(townSocket(town), session, 200);
      } catch {
        return '';
      }
    };
    const kill = async (): Promise<void> => {
      spawnSync('tmux', ['-L', townSocket(town), 'kill-session', '-t', `=${session}`]);
      await waitFor(() => {
        try {
          return !townSessions(town).get(session);
        } catch {
          return false;
        }
      }, `${session} gone`);
    };
    const patrol = (ahead: number) => witnessPatrol(town, 'alpha', { tools: { node: process.execPath, gt: GT, bd: BD }, now: Date.now() + ahead });
    await waitFor(() => pane().includes('[step] second'), 'the polecat at step second', 60_000);
    await kill();
    expect(patrol(5_000).findings.map((f) => f.action)).toEqual(['restart']);
    await waitFor(() => pane().includes('[step] second'), 'the successor at step second', 60_000);
    await kill();
    expect(patrol(10_000).findings.map((f) => f.action)).toEqual(['release']);
    const events = feed(dir);
    expect(of(events, id)).toEqual(['created', 'claimed', 'restarted', 'released']);
    const [restarted, released] = ['restarted', 'released'].map((k) => events.find((e) => e.kind === k && e.bead === id)!);
    expect(restarted).toMatchObject({ store: 'alpha', actor: 'alpha/witness', text: `${id} 'hang' restart 1 (session_gone)` });
    expect(released).toMatchObject({ store: 'alpha', actor: 'alpha/witness', text: `${id} 'hang' released after 1 restart (session_gone)` });
    // the mayor and the overseer were told
    expect(events.filter((e) => e.kind === 'mail' && e.text.includes(`Released ${id}`)).map((e) => e.text.split(':')[0])).toEqual(['alpha/witness -> mayor', 'alpha/witness -> overseer']);
  });

  it("a failing gate: gate_failed and rework once each, after the merge request's filing; --rig and --since", () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'broken.txt': 'BREAK\n' } });
    refineryRun(rig.townOf(), RIG, { once: true });
    const events = feed(rig.town);
    expect(of(events, f.mr)).toEqual(['mr_filed', 'gate_failed', 'rework']);
    expect(events.find((e) => e.kind === 'rework')).toMatchObject({ store: 'alpha', rig: 'alpha', actor: 'alpha/refinery', text: `${f.mr} polecat/nux back to ${f.worker}: gate test failed (exit 1) on the candidate` });
    expect(events.filter((e) => e.kind === 'mail').map((e) => e.text)).toEqual([`alpha/refinery -> ${f.worker}: REWORK ${f.mr}: gate failed on main`]);
    expect(feed(rig.town, '--rig', 'alpha')).toEqual(events);
    expect(feed(rig.town, '--since', '1h')).toEqual(events);
    // nothing was written in the last millisecond
    expect(gt(rig.town, ['feed', '--since', '1ms']).stdout).toBe('no events in the last 1ms\n');
  });

  it('--follow prints the history, then an event another process writes, and ends cleanly on SIGTERM', async () => {
    const rig = newRig();
    const first = bdJson<{ id: string }>(rig.town, ['create', 'before', '--rig', 'alpha']).id;
    const child = spawn(process.execPath, [GT, 'feed', '--follow', '--json'], { cwd: rig.town, env: { ...process.env, GT_FEED_POLL_MS: '100' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const seen = (): Event[] => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
    await waitFor(() => seen().some((e) => e.bead === first), 'the history to be printed');
    const second = bdJson<{ id: string }>(join(rig.town, 'alpha', 'main'), ['create', 'after']).id;
    await waitFor(() => seen().some((e) => e.bead === second), 'the new event to be printed', 60_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toBe('');
    expect(seen().map((e) => [e.kind, e.bead])).toEqual([
      ['created', first],
      ['created', second],
    ]);
  });

  it('refuses an unknown rig, a bad duration and a directory outside a town, each with one clear error and nothing on stdout', () => {
    const rig = newRig();
    const cases: [string, string[], RegExp][] = [
      [rig.town, ['--rig', 'gamma'], /^gt: no rig gamma in town \S+ \(rigs: alpha\)\n$/],
      [rig.town, ['--rig', ''], /^gt: --rig must name a rig\n$/],
      [rig.town, ['--since', 'yesterday'], /^gt: invalid --since "yesterday": use a duration such as 30s, 10m, 2h or 7d\n$/],
      // a value starting with '-' is the value, not short flags (-1 -h printed the help and exited 0)
      [rig.town, ['--since', '-1h'], /^gt: invalid --since "-1h": use a duration such as 30s, 10m, 2h or 7d\n$/],
      [rig.town, ['--since=-1h'], /^gt: invalid --since "-1h": use a duration such as 30s, 10m, 2h or 7d\n$/],
      [tmpdir(), [], /^gt: no town found from .* upward; create one with gt install DIR\n$/],
    ];
    for (const [cwd, args, message] of cases) {
      const r = gt(cwd, ['feed', ...args]);
      expect({ args, code: r.code === 0, stdout: r.stdout }).toEqual({ args, code: false, stdout: '' });
      expect(r.stderr).toMatch(message);
      const follow = gt(cwd, ['feed', '--follow', ...args]); // refused before it follows anything
      expect(follow.code).toBe(r.code);
      const json = gt(cwd, ['feed', '--json', ...args]);
      expect(json.code).toBe(r.code);
      expect((JSON.parse(json.stdout) as { error: { message: string } }).error.message).toBe(r.stderr.slice('gt: '.length, -1));
    }
  });

  it('refuses a GT_FEED_POLL_MS that is not 10 ms .. 1 hour (1e10 and Infinity were a 1 ms busy loop of TimeoutOverflowWarning) with one line naming it', () => {
    const rig = newRig();
    bdJson(rig.town, ['create', 'one bead', '--rig', 'alpha']);
    for (const value of ['1e10', 'Infinity', '3600001', '9', '1', '0', '-500', 'NaN', 'soon', '0x']) {
      // (a follow that was not refused would run until killed: the timeout shows it as a failure, not a hang)
      const r = spawnSync(process.execPath, [GT, 'feed', '--follow'], { cwd: rig.town, encoding: 'utf8', timeout: 20_000, env: { ...process.env, GT_FEED_POLL_MS: value } });
      expect({ value, code: r.status, stdout: r.stdout }).toEqual({ value, code: 4, stdout: '' });
      expect(r.stderr).toBe(`gt: invalid GT_FEED_POLL_MS ${JSON.stringify(value)}: use a number of milliseconds from 10 to 3600000 (an hour), or unset it for 500\n`);
      const json = spawnSync(process.execPath, [GT, 'feed', '--follow', '--json'], { cwd: rig.town, encoding: 'utf8', timeout: 20_000, env: { ...process.env, GT_FEED_POLL_MS: value } });
      expect(json.status).toBe(4);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'invalid_input', variable: 'GT_FEED_POLL_MS', value } });
    }
    // without --follow nothing polls: the variable is not read
    expect(gt(rig.town, ['feed'], { GT_FEED_POLL_MS: '1e10' })).toMatchObject({ code: 0, stderr: '' });
  });

  it.each(['10', '3600000', ''])('follows with GT_FEED_POLL_MS=%j (the bounds, and empty for the default)', async (value) => {
    const rig = newRig();
    bdJson(rig.town, ['create', 'one bead', '--rig', 'alpha']);
    const child = spawn(process.execPath, [GT, 'feed', '--follow'], { cwd: rig.town, env: { ...process.env, GT_FEED_POLL_MS: value } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => out.includes("'one bead'") || child.exitCode !== null, 'the history');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toBe('');
    expect(out).toContain("'one bead'");
  });

});

/** A town (not up) with rigs alpha and beta, each cloned from a bare remote with a store of its own. */
function plainTown(): { base: string; town: string } {
  const base = mkdtempSync(join(tmpdir(), 'gt-feed-plain-'));
  const town = join(base, 'town');
  towns.push({ town, base });
  gt(base, ['install', town]);
  for (const [name, prefix] of [['alpha', 'al'], ['beta', 'be']] as const) {
    const src = join(base, `${name}-src`);
    git(base, 'init', '-q', '-b', 'main', src);
    writeFileSync(join(src, 'README'), `${name}\n`);
    bd(src, ['init', '--prefix', prefix]);
    git(src, 'add', '-A');
    git(src, 'commit', '-qm', 'start');
    git(base, 'clone', '-q', '--bare', src, join(base, `${name}.git`));
    gtJson(town, ['rig', 'add', name, join(base, `${name}.git`)]);
  }
  return { base, town };
}

describe('gt feed: stores and stamps it cannot take at face value', () => {
  it("a rig whose store is missing: one line on stderr naming the rig and its store, the others' events shown, exit 8", async () => {
    const { base, town } = plainTown();
    const a = bdJson<{ id: string }>(town, ['create', 'in alpha', '--rig', 'alpha']).id;
    const b = bdJson<{ id: string }>(town, ['create', 'in beta', '--rig', 'beta']).id;
    const h = bdJson<{ id: string }>(town, ['create', 'in hq']).id;
    const store = join(town, 'alpha', 'main', '.beads');
    renameSync(store, join(base, 'alpha-beads-away'));
    const line = `gt feed: rig alpha's store could not be read, its events are not shown: no bead store at ${store} (missing config.json)\n`;
    const r = gt(town, ['feed']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 8, stderr: line });
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(1, 4))).toEqual([
      ['beta', 'created', b],
      ['hq', 'created', h],
    ]);
    const json = gt(town, ['feed', '--json']);
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 8, stderr: line });
    expect(json.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Event).bead)).toEqual([b, h]); // stdout: the events, nothing else
    expect(gt(town, ['feed', '--rig', 'alpha'])).toEqual({ code: 8, stdout: 'no events in rig alpha\n', stderr: line });
    expect(gt(town, ['feed', '--rig', 'beta'])).toMatchObject({ code: 0, stderr: '' }); // alpha's store is not read for beta

    // --follow: said once while it lasts; the store back, its events follow
    const child = spawn(process.execPath, [GT, 'feed', '--follow', '--json'], { cwd: town, env: { ...process.env, GT_FEED_POLL_MS: '50' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const seen = (): string[] => out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Event).bead);
    await waitFor(() => seen().includes(h) && err.length > 0, 'the history and the line');
    renameSync(join(base, 'alpha-beads-away'), store);
    await waitFor(() => seen().includes(a), "alpha's event once its store is back");
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toBe(line);
    expect(seen()).toEqual([b, h, a]);
  });

  it("an operation whose ts is no real date (2026-13-45T99:99:99Z passes the log's schema) is shown where its stamp puts it, not dropped", () => {
    const { town } = plainTown();
    const a = bdJson<{ id: string }>(town, ['create', 'in alpha', '--rig', 'alpha']).id;
    const h = bdJson<{ id: string }>(town, ['create', 'in hq']).id;
    // another clone's segment, as a git pull brings it: a create and a claim with a lease at that stamp
    const bad = '2026-13-45T99:99:99Z';
    const ops = [
      { op_id: 'foreignbad000001', bead: 'al-bad00001', kind: 'create', actor: 'overseer', ts: bad, lc: 1000, fields: { title: 'stamped badly' } },
      { op_id: 'foreignbad000002', bead: 'al-bad00001', kind: 'claim', actor: 'bob', ts: bad, lc: 1001, lease_ms: 60_000 },
    ];
    writeFileSync(join(town, 'alpha', 'main', '.beads', 'log', '000099-foreign1.jsonl'), ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
    const events = feed(town);
    // its stamp carried over (2027-02-18T04:40:39Z) puts it after today's
    expect(events.map((e) => [e.bead, e.kind, e.at === bad])).toEqual([
      [a, 'created', false],
      [h, 'created', false],
      ['al-bad00001', 'created', true],
      ['al-bad00001', 'claimed', true],
    ]);
    expect(feed(town, '--since', '1h').map((e) => e.bead)).toEqual([a, h, 'al-bad00001', 'al-bad00001']);
    const text = gt(town, ['feed']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').filter((l) => l.includes('al-bad00001'))).toEqual(["99:99:99  alpha  created      al-bad00001 'stamped badly'", "99:99:99  alpha  claimed      al-bad00001 'stamped badly' claimed by bob"]);
  });
});

