// gt polecat list and gt polecat gc on a town of scripted polecats whose rig clones a bare remote; gc of the
// polecats left over, made as a sling killed before its hook leaves them. A merge is
// simulated as the refinery leaves one: the polecat's commit landed on main as a rebased copy, its remote branch
// deleted, its merge request closed with mq.state merged and its source bead closed.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, closeBead, updateBead, type Bead } from '@gastown/beads';
import { requireTown, townSocket } from '@gastown/gastown';
import { bd, bdJson, git, gt, gtJson, waitFor } from './helpers.js';

const bases: string[] = [];
const towns: string[] = [];
afterEach(() => {
  for (const town of towns.splice(0)) gt(town, ['down']);
  for (const base of bases.splice(0)) rmSync(base, { recursive: true, force: true });
});
const scripted = { GT_RUNTIME: 'scripted' };

/** A town with rig alpha, cloned from a bare remote of a project with two molecules: tiny finishes, stuck never does. */
function newTown(): { base: string; town: string; remote: string; clone: string } {
  const base = mkdtempSync(join(tmpdir(), 'gt-polecats-'));
  bases.push(base);
  const src = join(base, 'alpha-src');
  git(base, 'init', '-q', '-b', 'main', src);
  writeFileSync(join(src, 'README'), 'alpha\n');
  bd(src, ['init', '--prefix', 'al']);
  mkdirSync(join(src, 'molecules'));
  writeFileSync(join(src, 'molecules', 'tiny.md'), ['## Molecule: tiny', 'Write a file.', '', '## Step: write', '```sh', 'echo "work of $GT_AGENT" > "work-$GT_POLECAT.txt"', '```', ''].join('\n'));
  writeFileSync(join(src, 'molecules', 'stuck.md'), ['## Molecule: stuck', 'A step whose gate never passes.', '', '## Step: never', 'Never done.', 'Gate: false', ''].join('\n'));
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'start');
  const remote = join(base, 'alpha.git');
  git(base, 'clone', '-q', '--bare', src, remote);
  const town = join(base, 'town');
  gt(base, ['install', town]);
  towns.push(town);
  gtJson(town, ['rig', 'add', 'alpha', remote]);
  return { base, town, remote, clone: join(town, 'alpha', 'main') };
}

interface Row {
  address: string;
  branch: string | null;
  hooked: string | null;
  merge_request: { id: string; status: string; queue_state: string; commit: string } | null;
  state: string;
  session: string;
  session_state: string;
}
interface Gc {
  dry_run: boolean;
  removed: { address: string; worktree: string }[];
  kept: { address: string; worktree: string; reason: string }[];
}

const byAddress = (rows: Row[]): Record<string, Row> => Object.fromEntries(rows.map((r) => [r.address.split('/').pop()!, r]));
const tmuxSessions = (socket: string): string[] => {
  const r = spawnSync('tmux', ['-L', socket, 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).sort() : [];
};
const branches = (clone: string): string[] => git(clone, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/polecat').split('\n').filter(Boolean).sort();

/** What the refinery leaves after landing a merge request (see docs/refinery.md), done by hand here. */
function merge(base: string, remote: string, store: BeadStore, mr: Bead): void {
  const meta = (mr.metadata as { merge_request: { branch: string; commit: string; source_bead: string } }).merge_request;
  const work = join(base, `land-${mr.id}`);
  git(base, 'clone', '-q', remote, work);
  git(work, 'fetch', '-q', 'origin', meta.branch);
  git(work, 'cherry-pick', meta.commit); // a rebased copy: not the polecat's commit
  git(work, 'push', '-q', 'origin', 'HEAD:main');
  git(work, 'push', '-q', 'origin', '--delete', meta.branch);
  const landed = git(work, 'rev-parse', 'HEAD').trim();
  updateBead(store, 'alpha/refinery', mr.id, { metadata: { ...(mr.metadata as object), mq: { state: 'merged', queued_at: mr.created_at, retries: 0, reworks: 0, attempts: [], merged_commit: landed } } });
  closeBead(store, 'alpha/refinery', mr.id, 'merged');
  closeBead(store, 'alpha/refinery', meta.source_bead, `merged in ${landed}`);
}

describe('gt polecat', () => {
  it('has --help for list and gc', () => {
    const dir = tmpdir();
    for (const cmd of [['polecat'], ['polecat', 'list'], ['polecat', 'gc']]) {
      const r = gt(dir, [...cmd, '--help']);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
      expect(r.stdout).toContain(`gt ${cmd.join(' ')}`);
      expect(r.stdout).toContain('--json');
    }
    expect(gt(dir, ['polecat', 'gc', '--help']).stdout).toContain('--dry-run');
  });

  it('list shows each state; gc removes the merged polecat and keeps merged ones with uncommitted or unpushed work, naming each', async () => {
    const { base, town, remote, clone } = newTown();
    const sling = (title: string, molecule: string): string => {
      const id = bdJson<{ id: string }>(town, ['create', title, '--rig', 'alpha']).id;
      gtJson(town, ['sling', id, 'alpha', '--molecule', molecule], scripted);
      return id;
    };
    // nux, slit and furiosa will merge; toast stays in the queue; capable never finishes its molecule
    const beads = { nux: sling('clean', 'tiny'), slit: sling('dirty', 'tiny'), furiosa: sling('ahead', 'tiny'), toast: sling('queued', 'tiny'), capable: sling('stuck', 'stuck') };
    const mrs = (): Bead[] => bdJson<Bead[]>(clone, ['list', '-t', 'merge-request', '-n', '0', '--all']);
    await waitFor(() => mrs().length === 4, 'four merge requests', 90_000);
    const mrOf = (name: string): Bead => mrs().find((m) => (m.metadata as { merge_request: { worker: string } }).merge_request.worker === `alpha/polecats/${name}`)!;

    let rows = byAddress(gtJson<Row[]>(town, ['polecat', 'list']));
    expect(Object.keys(rows).sort()).toEqual(['capable', 'furiosa', 'nux', 'slit', 'toast']);
    expect(rows.capable).toMatchObject({ state: 'working', hooked: beads.capable, merge_request: null, branch: 'polecat/capable', session_state: 'running' });
    expect(rows.nux).toMatchObject({ state: 'in_queue', hooked: beads.nux, merge_request: { id: mrOf('nux').id, status: 'open', queue_state: 'queued' }, branch: 'polecat/nux', session_state: 'running' });
    expect(gt(town, ['polecat', 'list', 'alpha']).stdout).toMatch(/alpha\/polecats\/nux\s+polecat\/nux\s+in queue \(queued\)/);

    const store = BeadStore.open(join(clone, '.beads'));
    for (const name of ['nux', 'slit', 'furiosa']) merge(base, remote, store, mrOf(name));
    // toast's merge request is taken by the refinery: still in the queue, now testing
    updateBead(store, 'alpha/refinery', mrOf('toast').id, { metadata: { ...(mrOf('toast').metadata as object), mq: { state: 'testing', queued_at: mrOf('toast').created_at, retries: 0, reworks: 0, attempts: [] } } });
    writeFileSync(join(town, 'alpha', 'polecats', 'slit', 'scratch.txt'), 'not committed\n');
    const furiosa = join(town, 'alpha', 'polecats', 'furiosa');
    writeFileSync(join(furiosa, 'later.txt'), 'committed after gt done, never pushed\n');
    git(furiosa, 'add', 'later.txt');
    git(furiosa, 'commit', '-qm', 'later');

    rows = byAddress(gtJson<Row[]>(town, ['polecat', 'list', 'alpha']));
    expect(Object.fromEntries(Object.entries(rows).map(([n, r]) => [n, r.state]))).toEqual({ nux: 'merged', slit: 'merged', furiosa: 'merged', toast: 'in_queue', capable: 'working' });
    expect(rows.nux).toMatchObject({ hooked: null, merge_request: { status: 'closed', queue_state: 'merged' } });
    expect(rows.toast!.merge_request).toMatchObject({ status: 'open', queue_state: 'testing' });

    // bad input: a clear error, and nothing changes
    const socket = townSocket(requireTown(town));
    const sessionsBefore = tmuxSessions(socket);
    for (const cmd of [['polecat', 'gc', 'nosuch'], ['polecat', 'list', 'nosuch']]) {
      const bad = gt(town, cmd);
      expect({ cmd, code: bad.code, stderr: bad.stderr }).toEqual({ cmd, code: 3, stderr: 'gt: no rig nosuch in town town (rigs: alpha)\n' });
    }
    expect(tmuxSessions(socket)).toEqual(sessionsBefore);

    // a dry run says what it would do and changes nothing
    const dry = gtJson<Gc>(town, ['polecat', 'gc', '--dry-run']);
    expect(dry.removed.map((e) => e.address)).toEqual(['alpha/polecats/nux']);
    expect(dry.kept.map((e) => [e.address, e.reason])).toEqual([
      ['alpha/polecats/furiosa', '1 commit(s) not pushed'],
      ['alpha/polecats/slit', 'uncommitted changes (1 path(s))'],
    ]);
    expect(existsSync(join(town, 'alpha', 'polecats', 'nux'))).toBe(true);
    expect(tmuxSessions(socket)).toEqual(sessionsBefore);
    expect(branches(clone)).toEqual(['polecat/capable', 'polecat/furiosa', 'polecat/nux', 'polecat/slit', 'polecat/toast']);

    const text = gt(town, ['polecat', 'gc', 'alpha']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Removed alpha/polecats/nux (${join(town, 'alpha', 'polecats', 'nux')})`);
    expect(text.stdout).toContain(`Kept alpha/polecats/slit (${join(town, 'alpha', 'polecats', 'slit')}): uncommitted changes (1 path(s))`);
    expect(text.stdout).toContain(`Kept alpha/polecats/furiosa (${furiosa}): 1 commit(s) not pushed`);
    expect(existsSync(join(town, 'alpha', 'polecats', 'nux'))).toBe(false);
    expect(branches(clone)).toEqual(['polecat/capable', 'polecat/furiosa', 'polecat/slit', 'polecat/toast']);
    expect(tmuxSessions(socket)).toEqual(sessionsBefore.filter((s) => s !== rows.nux!.session));
    expect(git(clone, 'worktree', 'list')).not.toContain('polecats/nux');
    // the kept ones are as they were
    expect(git(join(town, 'alpha', 'polecats', 'slit'), 'status', '--porcelain')).toBe('?? scratch.txt\n');
    expect(git(furiosa, 'log', '-1', '--format=%s').trim()).toBe('later');

    const after = byAddress(gtJson<Row[]>(town, ['polecat', 'list']));
    expect(Object.fromEntries(Object.entries(after).map(([n, r]) => [n, [r.state, r.session_state]]))).toEqual({
      slit: ['merged', 'running'],
      furiosa: ['merged', 'running'],
      toast: ['in_queue', 'running'],
      capable: ['working', 'running'],
    });
    // nothing more to remove: a second run removes nothing and keeps the same two
    const again = gtJson<Gc>(town, ['polecat', 'gc']);
    expect([again.removed, again.kept.map((e) => e.address)]).toEqual([[], ['alpha/polecats/furiosa', 'alpha/polecats/slit']]);
  });

  it('a merge request sent back for rework, with its bead still hooked, shows as rework', async () => {
    const { town, clone } = newTown();
    const id = bdJson<{ id: string }>(town, ['create', 'redo me', '--rig', 'alpha']).id;
    gtJson(town, ['sling', id, 'alpha', '--molecule', 'tiny'], scripted);
    const mrs = (): Bead[] => bdJson<Bead[]>(clone, ['list', '-t', 'merge-request', '-n', '0', '--all']);
    await waitFor(() => mrs().length === 1, 'a merge request', 90_000);
    const mr = mrs()[0]!;
    const store = BeadStore.open(join(clone, '.beads'));
    updateBead(store, 'alpha/refinery', mr.id, { metadata: { ...(mr.metadata as object), mq: { state: 'rework', queued_at: mr.created_at, retries: 0, reworks: 1, attempts: [], reason: 'conflict in README' } } });
    closeBead(store, 'alpha/refinery', mr.id, 'rework');
    const [row] = gtJson<Row[]>(town, ['polecat', 'list', 'alpha']);
    expect(row).toMatchObject({ address: 'alpha/polecats/nux', state: 'rework', hooked: id, merge_request: { id: mr.id, status: 'closed', queue_state: 'rework' } });
    // rework is not merged work: gc leaves it
    expect(gtJson<Gc>(town, ['polecat', 'gc'])).toEqual({ dry_run: false, removed: [], kept: [] });
    expect(existsSync(join(town, 'alpha', 'polecats', 'nux'))).toBe(true);
  });

  it("gt rig remove counts a polecat's pushed branch as pushed (it has no upstream), and its later commit as not", async () => {
    const { town, clone } = newTown();
    const id = bdJson<{ id: string }>(town, ['create', 'pushed work', '--rig', 'alpha']).id;
    gtJson(town, ['sling', id, 'alpha', '--molecule', 'tiny'], scripted);
    await waitFor(() => bdJson<Bead[]>(clone, ['list', '-t', 'merge-request', '-n', '0']).length === 1, 'a merge request', 90_000);
    const nux = join(town, 'alpha', 'polecats', 'nux');
    writeFileSync(join(nux, 'later.txt'), 'later\n');
    git(nux, 'add', 'later.txt');
    git(nux, 'commit', '-qm', 'later');
    expect(bd(clone, ['sync']).code).toBe(0); // the beads are work too: pushed with the store
    const refused = gt(town, ['rig', 'remove', 'alpha']);
    expect([refused.code, refused.stderr]).toEqual([5, 'gt: rig alpha has unmerged work (polecats/nux: 1 commit(s) not pushed): push or merge it, or remove with --force\n']);
    git(nux, 'push', '-q', 'origin', 'HEAD:refs/heads/polecat/nux');
    git(clone, 'fetch', '-q', 'origin');
    expect(gtJson(town, ['rig', 'remove', 'alpha'])).toEqual({ removed: 'alpha', discarded: [] });
  });
  it('gc removes the polecats left over (idle, no session, no sling making them, nothing of their own) and keeps those with work, naming it', async () => {
    const { town, clone } = newTown();
    const id = bdJson<{ id: string }>(town, ['create', 'working', '--rig', 'alpha']).id;
    gtJson(town, ['sling', id, 'alpha', '--molecule', 'stuck'], scripted); // nux: hooked, its session up
    // worktrees and branches as a sling killed before its hook leaves them
    const polecat = (name: string): string => {
      const dir = join(town, 'alpha', 'polecats', name);
      git(clone, 'worktree', 'add', '-q', '--no-track', '-b', `polecat/${name}`, dir, 'HEAD');
      return dir;
    };
    const dag = polecat('dag');
    writeFileSync(join(polecat('rictus'), 'scratch.txt'), 'not committed\n');
    const ace = polecat('ace');
    writeFileSync(join(ace, 'later.txt'), 'committed, never pushed\n');
    git(ace, 'add', 'later.txt');
    git(ace, 'commit', '-qm', 'later');
    // keeper: a sling (this live process, as far as the claim says) is still making it
    polecat('keeper');
    mkdirSync(join(town, '.gt', 'slings', 'alpha'), { recursive: true });
    writeFileSync(join(town, '.gt', 'slings', 'alpha', 'keeper'), `${process.pid} ${hostname()}\n`);

    const kept = [
      ['alpha/polecats/ace', '1 commit(s) not pushed'],
      ['alpha/polecats/rictus', 'uncommitted changes (1 path(s))'],
    ];
    const dry = gtJson<Gc>(town, ['polecat', 'gc', '--dry-run']);
    expect([dry.removed.map((e) => e.address), dry.kept.map((e) => [e.address, e.reason])]).toEqual([['alpha/polecats/dag'], kept]);
    expect(existsSync(dag)).toBe(true);
    const gc = gtJson<Gc>(town, ['polecat', 'gc', 'alpha']);
    expect([gc.removed, gc.kept.map((e) => [e.address, e.reason])]).toEqual([[{ address: 'alpha/polecats/dag', worktree: dag, branch: 'polecat/dag' }], kept]);
    expect(existsSync(dag)).toBe(false);
    expect(branches(clone)).toEqual(['polecat/ace', 'polecat/keeper', 'polecat/nux', 'polecat/rictus']);
    expect(git(clone, 'worktree', 'list')).not.toContain('polecats/dag');
    expect(byAddress(gtJson<Row[]>(town, ['polecat', 'list'])).nux).toMatchObject({ state: 'working', hooked: id, session_state: 'running' });
    expect(git(ace, 'log', '-1', '--format=%s').trim()).toBe('later');
  });
});
