// A bead the witness released after max_restarts, and what comes after: a sling by hand continues it (the same
// molecule, at its first open step, in a worktree started from the branch the witness pushed), so after the
// merge each step's commit is on main once, made once; dispatch passes the released bead over, and gt status and
// gt dispatch --dry-run say why, until a person acts (a sling, or bd label remove); --molecule naming another
// molecule is refused, and --fresh starts over; a release after a continuation keeps the same commit on a new
// branch; a merge request rejected since the release sets it aside. A sling that uses a release retires the polecat
// it came from (its worktree and branch removed; its work is on the rescue branch), unless something is still its own.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, closeBead, listBeads, updateBead, type Bead } from '@gastown/beads';
import { capturePane, requireTown, townSessions, townSocket, witnessPatrol, type PatrolFinding, type SlingResult, type Town } from '@gastown/gastown';
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
  town: Town;
  store: BeadStore;
  /** While this file is missing, step second waits (its polecat hangs there); made, it goes on. */
  go: string;
}

/**
 * A town with rig alpha cloned from a bare remote; molecule `two`: step first writes first-<polecat>.txt, step
 * second waits for the fixture's `go` file and writes second-<polecat>.txt. A gate that passes, so the refinery
 * lands; max_restarts 1, so the second death is a release.
 */
function newTown(settings: Record<string, string> = {}): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'gt-release-'));
  bases.push(base);
  const go = join(base, 'go');
  const src = join(base, 'alpha-src');
  git(base, 'init', '-q', '-b', 'main', src);
  writeFileSync(join(src, 'README'), 'alpha\n');
  bd(src, ['init', '--prefix', 'al']);
  mkdirSync(join(src, 'molecules'));
  writeFileSync(
    join(src, 'molecules', 'two.md'),
    ['## Molecule: two', 'Two steps.', '', '## Step: first', '```sh', 'echo "first of $GT_AGENT" > "first-$GT_POLECAT.txt"', '```', '', '## Step: second', '```sh', `while [ ! -e '${go}' ]; do sleep 0.2; done`, 'echo "second of $GT_AGENT" > "second-$GT_POLECAT.txt"', '```', 'Needs: first', ''].join('\n'),
  );
  writeFileSync(join(src, 'molecules', 'tiny.md'), ['## Molecule: tiny', 'One step.', '', '## Step: write', '```sh', 'echo tiny > "tiny-$GT_POLECAT.txt"', '```', ''].join('\n'));
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'start');
  const remote = join(base, 'alpha.git');
  git(base, 'clone', '-q', '--bare', src, remote);
  const dir = join(base, 'town');
  gt(base, ['install', dir]);
  towns.push(dir);
  gtJson(dir, ['rig', 'add', 'alpha', remote]);
  for (const [key, value] of Object.entries({ spawn_grace: '1s', stall_after: '1h', max_restarts: '1', gates: '["true"]', ...settings })) {
    const r = gt(dir, ['rig', 'settings', 'alpha', key, value]);
    if (r.code !== 0) throw new Error(`gt rig settings alpha ${key} ${value}: ${r.stderr}`);
  }
  return { base, dir, remote, go, town: requireTown(dir), store: BeadStore.open(join(dir, 'alpha', 'main', '.beads')) };
}

type Slung = SlingResult; // gt sling --json

const pane = (f: Fixture, session: string): string => {
  try {
    return capturePane(townSocket(f.town), session, 200);
  } catch {
    return '';
  }
};
const sessionOf = (f: Fixture, session: string) => {
  try {
    return townSessions(f.town).get(session);
  } catch {
    return undefined; // (the town's tmux server ends with its last session, and says so for a moment)
  }
};
async function kill(f: Fixture, session: string): Promise<void> {
  spawnSync('tmux', ['-L', townSocket(f.town), 'kill-session', '-t', `=${session}`]);
  await waitFor(() => !sessionOf(f, session), `${session} gone`);
}
const bead = (f: Fixture, id: string): Bead => f.store.get(id);
const meta = (b: Bead): Record<string, any> => (b.metadata ?? {}) as Record<string, any>;
/** The steps of a molecule, by step name (first, second). */
const steps = (f: Fixture, molecule: string): Record<string, Bead> =>
  Object.fromEntries(listBeads(f.store, { parent: molecule, all: true, limit: 0 }).map((s) => [String(meta(s).step).split('/').pop(), s]));
/** Subjects of the commits of `rev` not on `base`, in the remote, oldest first. */
const subjects = (f: Fixture, range: string): string[] => git(f.remote, 'log', '--reverse', '--format=%s', range).split('\n').filter(Boolean);

/**
 * Slings a bead on molecule two, lets it reach step second (first closed and committed), and kills its session
 * twice: the patrol restarts it once, then releases it. Returns the sling and the release's finding.
 */
async function released(f: Fixture, title: string): Promise<{ id: string; first: Slung; finding: PatrolFinding }> {
  const id = bdJson<{ id: string }>(f.dir, ['create', title, '--rig', 'alpha']).id;
  const first = gtJson<Slung>(f.dir, ['sling', id, 'alpha', '--molecule', 'two'], scripted);
  await waitFor(() => pane(f, first.session).includes('[step] second'), `${first.address} at step second`, 90_000);
  await kill(f, first.session);
  const restart = witnessPatrol(f.town, 'alpha', { tools, now: Date.now() + 5_000 });
  expect(restart.findings).toEqual([expect.objectContaining({ action: 'restart', done: true })]);
  await waitFor(() => pane(f, first.session).includes('[step] second'), 'the restarted polecat at step second', 90_000);
  await kill(f, first.session);
  const release = witnessPatrol(f.town, 'alpha', { tools, now: Date.now() + 10_000 });
  expect(release.findings).toEqual([expect.objectContaining({ action: 'release', done: true })]);
  return { id, first, finding: release.findings[0]! };
}

describe('a released bead', () => {
  it('is continued by gt sling: the same molecule at its first open step, the worktree from the pushed branch; after the merge each step commit is on main once', async () => {
    const f = newTown();
    const { id, first, finding } = await released(f, 'continue me');
    // the release: the work on a pushed branch, recorded with the molecule; the bead labelled released
    const branch = finding.rescue!.branch!;
    expect(finding.rescue).toMatchObject({ pushed: f.remote });
    expect(finding.reason).toContain('labelled released');
    const rescued = git(f.remote, 'rev-parse', branch).trim();
    const b = bead(f, id);
    expect(b).toMatchObject({ status: 'open', labels: ['released'] });
    expect(meta(b).release).toMatchObject({ from: first.address, molecule: first.molecule.id, branch, commit: rescued, remote: f.remote, restarts: 1 });
    expect(meta(b).release.taken).toBeUndefined();
    expect(subjects(f, `main..${branch}`)).toEqual([`first (${id}): continue me`]);

    writeFileSync(f.go, '');
    const again = gtJson<Slung>(f.dir, ['sling', id, 'alpha'], scripted);
    expect(again.polecat).not.toBe(first.polecat);
    expect(again.molecule).toEqual(first.molecule);
    expect(again.release).toMatchObject({ how: 'continued', from: first.address, start: branch, steps_closed: 1 });
    // the polecat it was released from is retired: its work is on the rescue branch this one started from
    expect(existsSync(first.worktree)).toBe(false);
    expect(again.release!.retired).toEqual({ removed: true });
    expect(git(join(f.dir, 'alpha', 'main'), 'for-each-ref', '--format=%(refname:short)', `refs/heads/${first.branch}`)).toBe('');
    expect(git(f.remote, 'rev-parse', branch).trim()).toBe(rescued);
    // the new worktree starts at the released commit, not at main
    expect(git(again.worktree, 'rev-parse', 'HEAD').trim()).toBe(rescued);
    const hooked = bead(f, id);
    expect(hooked).toMatchObject({ status: 'hooked', assignee: again.address });
    expect(hooked.labels ?? []).toEqual([]);
    expect(meta(hooked).hook_molecule).toBe(first.molecule.id);
    expect(meta(hooked).release.taken).toMatchObject({ by: again.address, how: 'continued' });
    const s = steps(f, first.molecule.id);
    expect(s.first).toMatchObject({ status: 'closed', assignee: first.address });
    expect(s.second!.assignee).toBe(again.address);
    // one molecule under the bead: nothing poured again
    expect(listBeads(f.store, { parent: id, issue_type: ['molecule'], all: true, limit: 0 }).map((m) => m.id)).toEqual([first.molecule.id]);

    // it primes at step second and finishes there: step first is not done again
    const mrs = (): Bead[] => listBeads(f.store, { issue_type: ['merge-request'], all: true, limit: 0 });
    await waitFor(() => mrs().length === 1, 'the merge request of the continued polecat', 90_000);
    const text = pane(f, again.session);
    expect(text).toContain('[step] second');
    expect(text).not.toContain('[step] first');
    expect(meta(mrs()[0]!).merge_request).toMatchObject({ branch: again.branch, worker: again.address, source_bead: id });
    // the branch holds the released commit itself (reused, not re-made) and one commit more
    expect(subjects(f, `main..${again.branch}`)).toEqual([`first (${id}): continue me`, `second (${id}): continue me`]);
    expect(git(f.remote, 'rev-parse', `${again.branch}~1`).trim()).toBe(rescued);

    const land = gtJson<{ events: { action: string }[] }>(f.dir, ['refinery', 'run', 'alpha', '--once']);
    expect(land.events.map((e) => e.action)).toContain('merged');
    expect(bead(f, id).status).toBe('closed');
    const onMain = subjects(f, 'main');
    expect(onMain.filter((x) => x.startsWith('first ('))).toEqual([`first (${id}): continue me`]);
    expect(onMain.filter((x) => x.startsWith('second ('))).toEqual([`second (${id}): continue me`]);
    const files = git(f.remote, 'ls-tree', '--name-only', 'main').split('\n');
    expect(files).toEqual(expect.arrayContaining([`first-${first.polecat}.txt`, `second-${again.polecat}.txt`]));
    expect(files).not.toContain(`first-${again.polecat}.txt`);
  }, 400_000);

  it('is passed over by dispatch auto until a person acts, and gt dispatch --dry-run and gt status say why; bd label remove lets dispatch continue it', async () => {
    const f = newTown({ dispatch: 'auto' });
    const { id, first } = await released(f, 'crashes always');
    const why = `released by the witness at ${meta(bead(f, id)).release.at} from ${first.address} after 1 restart(s)`;

    const dry = gtJson<{ slung: unknown[]; skipped: { bead: string; reason: string }[] }[]>(f.dir, ['dispatch', 'alpha', '--dry-run'], scripted)[0]!;
    expect(dry.slung).toEqual([]);
    expect(dry.skipped).toEqual([{ bead: id, reason: expect.stringContaining(why) }]);
    expect(dry.skipped[0]!.reason).toContain(`gt sling ${id} alpha continues it from ${meta(bead(f, id)).release.branch}`);
    expect(dry.skipped[0]!.reason).toContain(`bd label remove ${id} released`);
    const text = gt(f.dir, ['dispatch', 'alpha', '--dry-run'], scripted);
    expect(text.stdout).toContain(`skipped ${id}: ${why}`);
    // a real round slings nothing either
    const round = gtJson<{ slung: unknown[]; skipped: { bead: string }[] }[]>(f.dir, ['dispatch', 'alpha'], scripted)[0]!;
    expect(round.slung).toEqual([]);
    expect(bead(f, id)).toMatchObject({ status: 'open', labels: ['released'] });
    const status = gtJson<{ problems: { kind: string; subject: string; detail: string }[]; rigs: { ready: number }[] }>(f.dir, ['status']);
    expect(status.problems).toContainEqual({ kind: 'released', subject: id, detail: expect.stringContaining(why) });
    expect(status.rigs[0]!.ready).toBe(0);
    expect(gt(f.dir, ['status']).stdout).toMatch(new RegExp(`released\\s+${id}\\s+released by the witness`));

    // --molecule naming another molecule would start over: refused, nothing written
    const before = bead(f, id);
    const other = gt(f.dir, ['sling', id, 'alpha', '--molecule', 'tiny'], scripted);
    expect([other.code, other.stderr]).toEqual([4, `gt: ${id} was released with molecule two (1/2 steps closed), which gt sling continues; --molecule tiny would start over: add --fresh for that\n`]);
    expect(bead(f, id).updated_at).toBe(before.updated_at);
    expect(existsSync(join(f.dir, 'alpha', 'polecats', 'slit'))).toBe(false);

    // a person lifts the hold: the next round continues it
    bd(f.dir, ['label', 'remove', id, 'released']);
    writeFileSync(f.go, '');
    const next = gtJson<{ slung: { bead: string; polecat: string }[] }[]>(f.dir, ['dispatch', 'alpha'], scripted)[0]!;
    expect(next.slung).toEqual([expect.objectContaining({ bead: id })]);
    const hooked = bead(f, id);
    expect(meta(hooked).hook_molecule).toBe(first.molecule.id);
    expect(meta(hooked).release.taken).toMatchObject({ how: 'continued' });
    await waitFor(() => listBeads(f.store, { issue_type: ['merge-request'], limit: 0 }).length === 1, 'the merge request', 90_000);
  }, 400_000);

  it('released again after a continuation with no new commit: the same commit is kept on a new pushed branch, and the next sling continues from it', async () => {
    const f = newTown();
    const { id, first, finding } = await released(f, 'twice');
    const rescued = finding.rescue!.commit!;
    const again = gtJson<Slung>(f.dir, ['sling', id, 'alpha'], scripted);
    expect(again.release).toMatchObject({ how: 'continued', retired: { removed: true } });
    expect(existsSync(first.worktree)).toBe(false);
    // it hangs at step second as the first did, and dies twice: nothing of its own is at risk (its HEAD is on the remote)
    await waitFor(() => pane(f, again.session).includes('[step] second'), `${again.address} at step second`, 90_000);
    await kill(f, again.session);
    // the patrols' clock runs on from the first release's (+10 s), whose restart it recorded: one less far ahead
    // would find the new polecat in spawn grace whenever the steps between take less than spawn_grace
    expect(witnessPatrol(f.town, 'alpha', { tools, now: Date.now() + 15_000 }).findings).toEqual([expect.objectContaining({ action: 'restart', done: true })]);
    await waitFor(() => pane(f, again.session).includes('[step] second'), 'the restarted polecat at step second', 90_000);
    await kill(f, again.session);
    const second = witnessPatrol(f.town, 'alpha', { tools, now: Date.now() + 20_000 }).findings[0]!;
    expect(second).toMatchObject({ action: 'release', done: true, rescue: { at_risk: [], pushed: f.remote, commit: rescued } });
    expect(second.rescue!.branch).toMatch(new RegExp(`^rescue/${again.polecat}-`));
    expect(second.reason).toContain(`no work at risk; its commits kept on ${second.rescue!.branch}`);
    const record = meta(bead(f, id)).release;
    expect(record).toMatchObject({ from: again.address, branch: second.rescue!.branch, commit: rescued });
    expect(record.taken).toBeUndefined();
    expect(meta(bead(f, id)).witness).toMatchObject({ releases: 2 });

    // (the go file is not made: the third polecat waits at step second, so its HEAD is still where it started;
    // made here, it raced the check below with a commit of its own)
    const third = gtJson<Slung>(f.dir, ['sling', id, 'alpha'], scripted);
    expect(third.release).toMatchObject({ how: 'continued', from: again.address, start: second.rescue!.branch, steps_closed: 1 });
    expect(git(third.worktree, 'rev-parse', 'HEAD').trim()).toBe(rescued);
    // the second release's polecat is retired in turn (the first was when its release was used): none is left idle
    expect(third.release!.retired).toEqual({ removed: true });
    expect(existsSync(again.worktree)).toBe(false);
    expect(gtJson<{ address: string }[]>(f.dir, ['polecat', 'list', 'alpha']).map((p) => p.address)).toEqual([third.address]);
  }, 400_000);

  it('is set aside when a merge request of it was rejected after the release: the sling starts fresh and says why', async () => {
    const f = newTown();
    const { id, first } = await released(f, 'overtaken');
    // an old merge request of the bead, rejected after the release (as the refinery leaves one); the patrol's clock ran ahead
    const at = Date.parse(meta(bead(f, id)).release.at);
    await waitFor(() => Date.now() > at + 100, 'the real clock past the release', 60_000);
    const mr = bdJson<{ id: string }>(f.dir, ['create', 'Merge old', '--rig', 'alpha', '-t', 'merge-request']).id;
    updateBead(f.store, 'alpha/refinery', mr, { metadata: { merge_request: { branch: `polecat/${first.polecat}`, target: 'main', source_bead: id, worker: first.address, commit: 'abc' }, mq: { state: 'rejected', queued_at: new Date().toISOString(), retries: 0, reworks: 0, attempts: [] } } });
    closeBead(f.store, 'alpha/refinery', mr, 'rejected: conflicts');
    writeFileSync(f.go, '');
    const fresh = gtJson<Slung>(f.dir, ['sling', id, 'alpha', '--molecule', 'tiny'], scripted);
    expect(fresh.release).toMatchObject({ how: 'fresh', why: `its merge request ${mr} was rejected after the release` });
    // its rejected merge request makes it gc's, not a leftover: kept, saying why
    expect(fresh.release!.retired).toEqual({ removed: false, reason: 'its merge request is rejected' });
    expect(existsSync(first.worktree)).toBe(true);
    expect(fresh.molecule.id).not.toBe(first.molecule.id);
    expect(git(fresh.worktree, 'rev-parse', 'HEAD').trim()).toBe(git(f.remote, 'rev-parse', 'main').trim());
    expect(meta(bead(f, id)).release.taken).toMatchObject({ how: 'fresh' });
  }, 400_000);

  it('with --fresh starts over: a new molecule, the worktree from main; the release is marked set aside', async () => {
    const f = newTown();
    const { id, first } = await released(f, 'start over');
    writeFileSync(f.go, '');
    const fresh = gtJson<Slung>(f.dir, ['sling', id, 'alpha', '--fresh', '--molecule', 'tiny'], scripted);
    expect(fresh.molecule.name).toBe('tiny');
    expect(fresh.molecule.id).not.toBe(first.molecule.id);
    expect(fresh.release).toMatchObject({ how: 'fresh', why: 'gt sling --fresh', start: null, retired: { removed: true } });
    expect(existsSync(first.worktree)).toBe(false);
    expect(git(fresh.worktree, 'rev-parse', 'HEAD').trim()).toBe(git(f.remote, 'rev-parse', 'main').trim());
    const b = bead(f, id);
    expect(b.labels ?? []).toEqual([]);
    expect(meta(b).release.taken).toMatchObject({ how: 'fresh', by: fresh.address });
    // used once: a later release is needed before anything is continued again
    expect(meta(b).hook_molecule).toBe(fresh.molecule.id);
  }, 400_000);
});
