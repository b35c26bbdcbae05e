// The data layer against a real town: work by status, the cheap refresh (a rig whose log did not change is not
// read again), the injected feed, --rig, and a bead's detail view with its history.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, addDependency, claimBead, closeBead, createBead, hookBead } from '@gastown/beads';
import { keyedId, pourMolecule } from '@gastown/molecules';
import { HOOK_MOLECULE_KEY, addRig, agentFor, hookedWork, installTown, parseAgent, queueRows, readTown, rigPaths, sendMail, townSocket, townStatus, type Town } from '@gastown/gastown';
import { agentDetail, beadDetail, mrDetail } from './detail.js';
import { townFeed, type FeedEvent } from './feed-types.js';
import { TownReader, snapshot } from './snapshot.js';

const bases: string[] = [];
const sockets: string[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) execFileSync('tmux', ['-L', s, 'kill-server'], { stdio: 'ignore' });
  bases.splice(0).forEach((b) => rmSync(b, { recursive: true, force: true }));
});
const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

function town(rigs: Record<string, string>): Town {
  const base = mkdtempSync(join(tmpdir(), 'dashboard-data-'));
  bases.push(base);
  let t = installTown(join(base, 'town')).town;
  for (const [name, prefix] of Object.entries(rigs)) {
    const src = join(base, `${name}-src`);
    execFileSync('git', ['init', '-q', src], { env });
    writeFileSync(join(src, 'README'), `${name}\n`);
    execFileSync('git', ['add', '-A'], { cwd: src, env });
    execFileSync('git', ['commit', '-qm', 'start'], { cwd: src, env });
    addRig(t, name, src, { prefix });
    t = readTown(t.root);
  }
  return t;
}

const event = (rig: string, n: number): FeedEvent => ({ at: new Date(n * 1000).toISOString(), kind: 'created', store: rig, rig, bead: `${rig}-${n}`, actor: 'x', text: `event ${n}`, op_id: `op-${rig}-${n}` });

describe('the snapshot', () => {
  it('lists each rig\'s work by status and priority, and reads a rig again only when its log changed', () => {
    const t = town({ alpha: 'al', beta: 'be' });
    const alpha = BeadStore.open(rigPaths(t, 'alpha').store);
    const a = createBead(alpha, 'me', { title: 'first', priority: 2 });
    const b = createBead(alpha, 'me', { title: 'second', priority: 1 });
    const c = createBead(alpha, 'me', { title: 'after first', priority: 0 });
    addDependency(alpha, 'me', c.id, a.id);
    const msg = sendMail(t, 'alpha/witness', 'overseer', 'Released al-x from alpha/polecats/nux after 3 restart(s)', 'body');
    let clock = Date.parse('2026-06-01T00:00:01.000Z');
    const reader = new TownReader(t, { now: () => clock });
    const s1 = reader.snapshot();
    expect(s1.work.map((w) => [w.id, w.status])).toEqual([[b.id, 'ready'], [a.id, 'ready'], [c.id, 'blocked']]);
    expect(s1.work.find((w) => w.id === c.id)?.blocked_by).toEqual([a.id]);
    expect(s1.counts).toMatchObject({ ready: 2, blocked: 1, unread: 1 });
    expect(s1.problems.find((p) => p.kind === 'escalation')).toMatchObject({ subject: msg.id });
    const s2 = reader.snapshot();
    // the same rows, kept: nothing was read again
    expect(s2.work[0]).toBe(s1.work[0]);
    createBead(alpha, 'me', { title: 'third', priority: 3 });
    const s3 = reader.snapshot();
    expect(s3.work).toHaveLength(4);
    expect(s3.work[0]).not.toBe(s1.work[0]);
    // time alone can make a bead ready (a deferral or a lease running out): kept parts are read again after 30 s
    expect(reader.snapshot().work[0]).toBe(s3.work[0]);
    clock += 30_000;
    expect(reader.snapshot().work[0]).not.toBe(s3.work[0]);
  });

  it('--rig: only that rig\'s work and events; an unknown rig is refused', () => {
    const t = town({ alpha: 'al', beta: 'be' });
    createBead(BeadStore.open(rigPaths(t, 'alpha').store), 'me', { title: 'in alpha' });
    createBead(BeadStore.open(rigPaths(t, 'beta').store), 'me', { title: 'in beta' });
    let polls = 0;
    const feed = { poll: (): FeedEvent[] => (polls++ === 0 ? [event('alpha', 1), event('beta', 2)] : [event('alpha', 3)]) };
    const reader = new TownReader(t, { rig: 'beta', feed });
    const s = reader.snapshot();
    expect(s.rigs).toEqual(['beta']);
    expect(s.work.map((w) => w.title)).toEqual(['in beta']);
    expect(s.activity.map((e) => e.op_id)).toEqual(['op-beta-2']);
    expect(s.agents.map((a) => a.id)).toEqual(['beta/witness', 'beta/refinery']);
    const all = new TownReader(t, { feed: { poll: () => [event('alpha', 1)] } });
    all.snapshot();
    expect(all.snapshot().activity.map((e) => e.op_id)).toEqual(['op-alpha-1', 'op-alpha-1']); // kept, newest last
    expect(() => snapshot(t, { rig: 'gamma' })).toThrow('no rig gamma in town');
  });

  it('shows the merge queue with the last gate, rework as a problem, and a merge request\'s gate runs in its detail', () => {
    const t = town({ alpha: 'al' });
    const store = BeadStore.open(rigPaths(t, 'alpha').store);
    const work = createBead(store, 'me', { title: 'the work', priority: 1 });
    const at = new Date().toISOString();
    const run = { gate: 'test', command: 'npm test', exit_code: 1, duration_ms: 2300, output: 'ok 1\nnot ok 2 - adds', tree: 'abc', passed: false, at };
    const mq = (state: string, attempts: unknown[]) => ({ state, queued_at: at, retries: 0, reworks: 0, attempts, reason: state === 'rework' ? 'gate test failed' : undefined });
    const meta = (n: string) => ({ branch: `polecat/${n}`, target: 'main', source_bead: work.id, worker: `alpha/polecats/${n}`, commit: 'c0ffee' });
    const queued = createBead(store, 'alpha/polecats/nux', { title: 'Merge polecat/nux', issue_type: 'merge-request', metadata: { merge_request: meta('nux'), mq: mq('queued', []) } });
    const sent = createBead(store, 'alpha/polecats/max', { title: 'Merge polecat/max', issue_type: 'merge-request', status: 'blocked', metadata: { merge_request: meta('max'), mq: mq('rework', [{ n: 1, started_at: at, base: 'b0', runs: [run], outcome: 'gate_failed', detail: 'test failed' }]) } });
    const s = snapshot(t);
    expect(s.queue.map((m) => [m.id, m.position, m.state, m.last_gate])).toEqual([
      [queued.id, 1, 'queued', null],
      [sent.id, null, 'rework', { gate: 'test', passed: false, exit_code: 1 }],
    ]);
    expect(s.counts.queued).toBe(1);
    expect(s.problems).toContainEqual({ id: `rework:${sent.id}`, kind: 'rework', subject: sent.id, detail: 'gate test failed', rig: 'alpha' });
    // the agents' health and the problems as gt status finds them (the snapshot keeps its rules, cached)
    const status = townStatus(t);
    expect(s.agents.map((a) => [a.id, a.health])).toEqual(status.agents.map((a) => [a.address, a.health]));
    for (const p of status.problems) expect(s.problems).toContainEqual(expect.objectContaining({ id: `${p.kind}:${p.subject}`, ...p }));
    expect(s.problems.filter((p) => !['rejected', 'escalation'].includes(p.kind))).toHaveLength(status.problems.length);
    const lines = mrDetail(t, sent.id);
    expect(lines).toContain('Attempt 1 at ' + at + ': gate_failed (test failed)');
    expect(lines).toContain('  FAIL test: npm test  exit 1  2.3s');
    expect(lines).toContain('      not ok 2 - adds');
  });

  it('orders the merge queue as gt mq list does, a queued request whose source is blocked waiting', () => {
    const t = town({ alpha: 'al' });
    const store = BeadStore.open(rigPaths(t, 'alpha').store);
    const blocker = createBead(store, 'me', { title: 'not done yet' });
    const at = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    const mr = (name: string, state: string, source: string, queuedAt: string, priority = 2) =>
      createBead(store, `alpha/polecats/${name}`, {
        title: `Merge polecat/${name}`,
        issue_type: 'merge-request',
        priority,
        metadata: { merge_request: { branch: `polecat/${name}`, target: 'main', source_bead: source, worker: `alpha/polecats/${name}`, commit: 'c0ffee' }, mq: { state, queued_at: queuedAt, retries: 0, reworks: 0, attempts: [] } },
      });
    const source = (title: string) => createBead(store, 'me', { title }).id;
    const stuck = source('waits on the blocker');
    addDependency(store, 'me', stuck, blocker.id);
    mr('ace', 'queued', source('a'), at(60), 2);
    mr('max', 'queued', stuck, at(120), 0);
    mr('nux', 'testing', source('b'), at(300));
    mr('toast', 'queued', source('c'), at(30), 1);
    const s = snapshot(t);
    const shape = (r: { id: string; position: number | null; state: string; waiting?: string }) => [r.id, r.position, r.state, r.waiting ?? null];
    expect(s.queue.map(shape)).toEqual(queueRows(t, 'alpha', { maxWaitMs: 3_600_000 }).map(shape));
    expect(s.queue.map((m) => [m.worker, m.position])).toEqual([['alpha/polecats/nux', 0], ['alpha/polecats/toast', 1], ['alpha/polecats/ace', 2], ['alpha/polecats/max', null]]);
  });

  it('counts a blocker in another rig of the town while it is open there, as gt ready does', () => {
    const t = town({ alpha: 'al', beta: 'be' });
    const alpha = BeadStore.open(rigPaths(t, 'alpha').store);
    const beta = BeadStore.open(rigPaths(t, 'beta').store);
    const there = createBead(beta, 'me', { title: 'in beta first' });
    const here = createBead(alpha, 'me', { title: 'in alpha after it' });
    addDependency(alpha, 'me', here.id, there.id, 'blocks', { foreign: (id) => (id === there.id ? { status: 'open' } : null) });
    let clock = Date.now();
    const reader = new TownReader(t, { now: () => clock });
    expect(reader.snapshot().work.find((w) => w.id === here.id)).toMatchObject({ status: 'blocked', blocked_by: [there.id] });
    closeBead(beta, 'me', there.id, 'done');
    clock += 30_000; // a change in another store shows within 30 s
    expect(reader.snapshot().work.find((w) => w.id === here.id)).toMatchObject({ status: 'ready' });
  });

  it("an agent's hook: the molecule recorded on it (as gt sling hooks), or found without the record, as hookedWork finds it", () => {
    const t = town({ alpha: 'al' });
    const store = BeadStore.open(rigPaths(t, 'alpha').store);
    for (const n of ['furiosa', 'nux', 'slit']) mkdirSync(join(rigPaths(t, 'alpha').polecats, n));
    const molecules = mkdtempSync(join(tmpdir(), 'dashboard-mol-'));
    bases.push(molecules);
    mkdirSync(join(molecules, 'molecules'));
    writeFileSync(join(molecules, 'molecules', 'w.md'), '## Molecule: w\nW.\n\n## Step: plan\nPlan it.\n\n## Step: build\nBuild it.\n\n## Step: ship\nShip it.\n');
    const hook = (name: string, record: boolean) => {
      const bead = createBead(store, 'me', { title: `work of ${name}` });
      const agent = agentFor(t, 'polecat', 'alpha', name);
      const key = `sling:${bead.id}:${name}`;
      hookBead(store, 'me', bead.id, agent.address, record ? { [HOOK_MOLECULE_KEY]: keyedId(store.idPrefix, 'w', key) } : undefined);
      const poured = pourMolecule(store, 'me', 'w', { catalog: { rigRoot: molecules }, key, parent: bead.id, assignee: agent.address });
      return { agent, bead, poured };
    };
    const slung = hook('furiosa', true);
    closeBead(store, 'me', slung.poured.steps[0]!.id, 'done');
    const found = hook('nux', false);
    claimBead(store, 'alpha/polecats/slit', createBead(store, 'me', { title: 'claimed, not hooked' }).id);
    const s = snapshot(t);
    for (const { agent } of [slung, found]) {
      const work = hookedWork(agent, store)!;
      expect(s.agents.find((a) => a.id === agent.address)).toMatchObject({ hooked: work.bead.id, step: `${work.step!.step} (${work.step!.id})`, done: work.molecule!.done, total: work.molecule!.total });
    }
    expect(s.agents.find((a) => a.id === 'alpha/polecats/furiosa')).toMatchObject({ hooked: slung.bead.id, done: 1, total: 3 });
    expect(s.agents.find((a) => a.id === 'alpha/polecats/slit')).toMatchObject({ hooked: null, step: null, done: null });
  });

  it("an agent's detail: its state and the last lines of its pane", () => {
    const t = town({ alpha: 'al' });
    expect(agentDetail(t, snapshot(t), 'mayor').slice(-1)).toEqual(['no session']);
    const socket = townSocket(t);
    sockets.push(socket);
    const { TMUX: _inside, ...outside } = process.env;
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', parseAgent(t, 'mayor').session, 'echo the-mayor-speaks; exec sleep 60'], { env: outside });
    const deadline = Date.now() + 20_000;
    let lines = agentDetail(t, snapshot(t), 'mayor');
    while (!lines.includes('the-mayor-speaks') && Date.now() < deadline) lines = agentDetail(t, snapshot(t), 'mayor');
    expect(lines[0]).toMatch(/^mayor {2}idle {2}session gt-/);
    expect(lines).toContain('Last lines of its pane');
    expect(lines).toContain('the-mayor-speaks');
  });

  it("a bead's detail: its fields, dependencies and history", () => {
    const t = town({ alpha: 'al' });
    const store = BeadStore.open(rigPaths(t, 'alpha').store);
    const a = createBead(store, 'me', { title: 'first', description: 'the why' });
    const b = createBead(store, 'you', { title: 'second' });
    addDependency(store, 'you', b.id, a.id);
    const lines = beadDetail(store, b.id);
    expect(lines[0]).toBe(`${b.id}  second`);
    expect(lines).toContain(`  blocks ${a.id}`);
    expect(lines.filter((l) => / you +(create|dep_add) /.test(l))).toHaveLength(2);
    expect(beadDetail(store, a.id)).toContain('the why');
    // with a molecule poured under it: its checklist
    const molecules = mkdtempSync(join(tmpdir(), 'dashboard-mol-'));
    bases.push(molecules);
    mkdirSync(join(molecules, 'molecules'));
    writeFileSync(join(molecules, 'molecules', 'm.md'), '## Molecule: m\nM.\n\n## Step: plan\nPlan it.\n\n## Step: build\nBuild it.\n');
    const poured = pourMolecule(store, 'me', 'm', { catalog: { rigRoot: molecules }, parent: a.id });
    closeBead(store, 'me', poured.steps[0]!.id, 'done');
    const withMolecule = beadDetail(store, a.id);
    expect(withMolecule).toContain(`Molecule m (${poured.molecule.id}): 1/2 steps closed`);
    expect(withMolecule.filter((l) => /^ {2}\[[x ]\] /.test(l)).map((l) => l.slice(0, 12))).toEqual(['  [x] plan  ', '  [ ] build ']);
  });
});

describe('a store that cannot be read', () => {
  const corrupt = (store: BeadStore): void => appendFileSync(join(store.dir, store.logFiles().at(-1)!), 'garbage\n');

  it('fails the first snapshot as --once does; later, it is a Problem with its rows kept while the other rigs refresh', () => {
    const t = town({ alpha: 'al', beta: 'be' });
    const alpha = BeadStore.open(rigPaths(t, 'alpha').store);
    const beta = BeadStore.open(rigPaths(t, 'beta').store);
    createBead(alpha, 'me', { title: 'in alpha' });
    const kept = createBead(beta, 'me', { title: 'in beta' });
    const reader = new TownReader(t);
    expect(reader.snapshot().problems.filter((p) => p.kind === 'store')).toEqual([]);
    corrupt(beta);
    createBead(alpha, 'me', { title: 'alpha again' });
    const s = reader.snapshot();
    expect(s.work.map((w) => w.title).sort()).toEqual(['alpha again', 'in alpha', 'in beta']);
    expect(s.work.find((w) => w.id === kept.id)?.rig).toBe('beta');
    const p = s.problems.find((x) => x.kind === 'store');
    expect(p).toMatchObject({ id: 'store:beta', subject: 'beta', rig: 'beta' });
    expect(p!.detail).toMatch(/corrupt line in the bead log.*; its rows as read at \d\d:\d\d:\d\d$/);
    expect(p!.detail).not.toContain('\n');
    expect(() => snapshot(t)).toThrow(/corrupt line in the bead log/); // --once: the one-shot answer fails, code and all
  });

  it('a rig store deleted under the reader is a Problem naming it (not an empty rig); back, the problem goes and new beads show', () => {
    const t = town({ alpha: 'al', beta: 'be' });
    const dir = rigPaths(t, 'alpha').store;
    const first = createBead(BeadStore.open(dir), 'me', { title: 'before' });
    const reader = new TownReader(t, { feed: townFeed(t) });
    expect(reader.snapshot().work.map((w) => w.id)).toEqual([first.id]);
    const saved = join(t.root, '..', 'saved-store');
    cpSync(dir, saved, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    const gone = reader.snapshot();
    expect(gone.work.map((w) => w.id)).toEqual([first.id]); // its last rows, said to be so
    const p = gone.problems.filter((x) => x.kind === 'store');
    expect(p).toHaveLength(1); // the feed's unread store is the same one: said once
    expect(p[0]).toMatchObject({ id: 'store:alpha', subject: 'alpha', rig: 'alpha' });
    expect(p[0]!.detail).toMatch(/^store gone: no bead store at /);
    expect(p[0]!.detail).toContain(`no bead store at ${dir}`);
    expect(p[0]!.detail).toMatch(/its rows as read at/);
    cpSync(saved, dir, { recursive: true });
    const second = createBead(BeadStore.open(dir), 'me', { title: 'after' });
    const back = reader.snapshot();
    expect(back.problems.filter((x) => x.kind === 'store')).toEqual([]);
    expect(back.work.map((w) => w.id).sort()).toEqual([first.id, second.id].sort());
  });

  it("names a store the feed could not read (gt feed's cursor.unread) as a Problem", () => {
    const t = town({ alpha: 'al' });
    const feed = { poll: (): FeedEvent[] => [], unread: [{ store: 'alpha', dir: '/x/.beads', message: 'no bead store at /x/.beads (missing config.json)' }] };
    const s = new TownReader(t, { feed }).snapshot();
    expect(s.problems.filter((p) => p.kind === 'store')).toEqual([{ id: 'store:alpha', kind: 'store', subject: 'alpha', rig: 'alpha', detail: 'store gone: no bead store at /x/.beads (missing config.json) (its events are not in Activity)' }]);
  });

  /** Another clone's segment, as a git pull brings it: the log gained what the cache has not caught up with. */
  const pulled = (store: BeadStore, id: string, title: string): void => {
    mkdirSync(join(store.dir, 'log'), { recursive: true });
    const op = { op_id: `pulled${id.replace(/[^a-z0-9]/g, "")}000000`, bead: id, kind: 'create', actor: 'other', ts: new Date().toISOString(), lc: 5000, fields: { title } };
    writeFileSync(join(store.dir, 'log', '000099-pulled01.jsonl'), JSON.stringify(op) + '\n');
  };

  it('a store locked by another process, with a log to catch up, is not waited for: its last rows and a busy Problem; free, it is read', () => {
    const t = town({ alpha: 'al', beta: 'be' });
    const alpha = BeadStore.open(rigPaths(t, 'alpha').store);
    const first = createBead(alpha, 'me', { title: 'before' });
    const reader = new TownReader(t, { skipLocked: true });
    expect(reader.snapshot().work.map((w) => w.id)).toEqual([first.id]);
    pulled(alpha, 'al-pulled1', 'from another clone');
    const lock = join(alpha.dir, 'lock');
    writeFileSync(lock, `${process.pid} ${hostname()} held-by-test\n`); // a live holder: bd waits 30 s for it
    createBead(BeadStore.open(rigPaths(t, 'beta').store), 'me', { title: 'in beta' }); // beta, unlocked, refreshes
    const busy = reader.snapshot();
    expect(busy.work.map((w) => w.title).sort()).toEqual(['before', 'in beta']);
    const p = busy.problems.filter((x) => x.kind === 'store');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ id: 'store:alpha', rig: 'alpha' });
    expect(p[0]!.detail).toMatch(new RegExp(`^busy: locked by process ${process.pid} .*its rows as read at`));
    // a reader's first snapshot does not wait either: the rig has no rows yet, and says why
    const fresh = new TownReader(t, { skipLocked: true }).snapshot();
    expect(fresh.work.map((w) => w.title)).toEqual(['in beta']);
    expect(fresh.problems.find((x) => x.kind === 'store')?.detail).toMatch(/its rows once it is free/);
    rmSync(lock);
    const free = reader.snapshot();
    expect(free.problems.filter((x) => x.kind === 'store')).toEqual([]);
    expect(free.work.map((w) => w.title).sort()).toEqual(['before', 'from another clone', 'in beta']);
  });
});
