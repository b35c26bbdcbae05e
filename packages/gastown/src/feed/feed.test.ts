// The feed: every kind of event, derived from the operations the town's code writes, appears once and in order
// across the town's stores; a cursor's poll reads only what the logs gained, and a rewritten log is read again
// without reporting anything twice.
import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { BeadStore, BeadsError, closeBead, createBead, hookBead, releaseBead, updateBead } from '@gastown/beads';
import { addRig, readTown, rigPaths, townStoreDir } from '../town/index.js';
import { testTowns } from '../town/test-town.js';
import { changeMq } from '../refinery/index.js';
import type { MqMeta, Town } from '../model.js';
import { FeedCursor, readFeed, sinceTime, type FeedEvent } from './index.js';

const { town: newTown } = testTowns(afterEach);

/** The town's stores on one clock that moves a second per write: times are distinct and in write order. */
function clocked(town: Town): { hq: BeadStore; alpha: BeadStore; beta: BeadStore } {
  let t = Date.parse('2026-03-01T10:00:00.000Z');
  const now = (): Date => new Date((t += 1000));
  const open = (dir: string): BeadStore => BeadStore.open(dir, { now });
  return {
    hq: open(townStoreDir(town)),
    alpha: open(rigPaths(town, 'alpha').store),
    get beta() {
      return open(rigPaths(town, 'beta').store);
    },
  };
}

const nux = 'alpha/polecats/nux';
const mail = (hq: BeadStore, from: string, to: string, subject: string): string =>
  createBead(hq, from, { title: subject, description: 'body', issue_type: 'message', assignee: to, labels: ['mail'], metadata: { mail: { from, to } } }).id;
const queued = (at: string): MqMeta => ({ state: 'queued', queued_at: at, retries: 0, reworks: 0, attempts: [] });

/** A merge request as gt done files it. */
function fileMr(store: BeadStore, source: string, worker: string, branch: string, title: string): string {
  return createBead(store, worker, {
    title: `Merge ${branch}: ${title}`,
    issue_type: 'merge-request',
    metadata: { merge_request: { branch, target: 'main', source_bead: source, worker, commit: 'c'.repeat(40) }, mq: queued(store.nowIso()) },
    deps: [{ type: 'related', id: source }],
  }).id;
}

/** A molecule poured under a bead, as bd mol pour writes it: the molecule and its steps, one transaction. */
function pour(store: BeadStore, parent: string): { molecule: string; step: string } {
  return store.transaction('mayor', (tx) => {
    const molecule = tx.newId();
    const step = tx.newId();
    tx.create({ id: molecule, title: 'polecat work', issue_type: 'molecule', parent, metadata: { molecule: 'polecat-work', steps: [{ path: 'implement', id: step }] } });
    tx.create({ id: step, title: 'implement', parent: molecule, assignee: nux, metadata: { molecule: 'polecat-work', step: 'implement' } });
    return { molecule, step };
  });
}

const kinds = (events: FeedEvent[]): string[] => events.map((e) => e.kind);

describe('readFeed', () => {
  it('has every kind of event once, in order, across the town store and the rigs', () => {
    const town = newTown({ alpha: 'al', beta: 'be' });
    const { hq, alpha } = clocked(town);
    const work = createBead(alpha, 'mayor', { title: 'fix login' }).id;
    hookBead(alpha, 'mayor', work, nux);
    const { step } = pour(alpha, work);
    updateBead(alpha, nux, step, {}, { claim: true }); // a step's claim is its polecat's business: no event
    closeBead(alpha, nux, step, 'done');
    // the witness restarts the polecat, then releases its work (the witness's own metadata, as it writes it)
    const restartAt = alpha.nowIso();
    updateBead(alpha, `alpha/witness`, work, { metadata: { ...alpha.get(work).metadata, witness: { restarts: 1, last_restart_at: restartAt, last: { kind: 'session_gone', action: 'restart', evidence: 'no session', at: restartAt } } } });
    const releaseAt = alpha.nowIso();
    updateBead(alpha, `alpha/witness`, work, { status: 'open', assignee: '', metadata: { ...alpha.get(work).metadata, witness: { restarts: 0, releases: 1, released_at: releaseAt, last: { kind: 'stalled', action: 'release', evidence: 'no progress', at: releaseAt } } } });
    const mr = fileMr(alpha, work, nux, 'polecat/nux', 'fix login');
    mail(hq, nux, 'alpha/refinery', `Merge request ${mr}: polecat/nux`);
    // the refinery: takes it, its gate fails, rework; back in the queue, taken again in a batch of two, merged
    changeMq(alpha, 'alpha/refinery', mr, (m) => ({ mq: { ...m.mq, state: 'testing', attempts: [{ n: 1, started_at: alpha.nowIso(), base: 'b', runs: [] }] }, status: 'in_progress', assignee: 'alpha/refinery' }));
    changeMq(alpha, 'alpha/refinery', mr, (m) => ({ mq: { ...m.mq, state: 'rework', reason: 'gate test failed (exit 1) on the candidate', attempts: [{ ...m.mq.attempts[0]!, outcome: 'gate_failed', detail: 'gate test failed (exit 1) on the candidate' }] }, status: 'blocked', assignee: null }));
    changeMq(alpha, nux, mr, (m) => ({ mq: { ...m.mq, state: 'queued', reworks: 1 }, status: 'open' }));
    changeMq(alpha, 'alpha/refinery', mr, (m) => ({ mq: { ...m.mq, state: 'testing', attempts: [...m.mq.attempts, { n: 2, started_at: alpha.nowIso(), base: 'b', runs: [], batch: ['al-other'] }] }, status: 'in_progress', assignee: 'alpha/refinery' }));
    changeMq(alpha, 'alpha/refinery', mr, (m) => ({ mq: { ...m.mq, state: 'landing', attempts: [{ ...m.mq.attempts[0]! }, { ...m.mq.attempts[1]!, outcome: 'passed' }] } }));
    closeBead(alpha, 'alpha/refinery', work, 'merged in 0123456789ab');
    changeMq(alpha, 'alpha/refinery', mr, (m) => ({ mq: { ...m.mq, state: 'merged', merged_commit: '0123456789abcdef', attempts: [m.mq.attempts[0]!, { ...m.mq.attempts[1]!, outcome: 'landed' }] }, close: 'merged' }));

    const events = readFeed(town);
    expect(kinds(events)).toEqual(['created', 'claimed', 'poured', 'step_closed', 'restarted', 'released', 'mr_filed', 'mail', 'gate_failed', 'rework', 'closed', 'merged']);
    const byKind = Object.fromEntries(events.map((e) => [e.kind, e]));
    expect(byKind.created).toMatchObject({ store: 'alpha', rig: 'alpha', bead: work, actor: 'mayor', text: `${work} 'fix login'` });
    expect(byKind.claimed!.text).toBe(`${work} 'fix login' hooked to ${nux}`);
    expect(byKind.step_closed!.text).toBe(`${step} step implement: done`);
    expect(byKind.restarted!.text).toBe(`${work} 'fix login' restart 1 (session_gone)`);
    expect(byKind.released!.text).toBe(`${work} 'fix login' released after 1 restart (stalled)`);
    expect(byKind.mr_filed!.text).toBe(`${mr} polecat/nux by ${nux}: 'fix login'`);
    // mail lives in the town's store; it concerns alpha, whose agents it names
    expect(byKind.mail).toMatchObject({ store: 'hq', rig: 'alpha', text: `${nux} -> alpha/refinery: Merge request ${mr}: polecat/nux` });
    expect(byKind.gate_failed!.text).toBe(`${mr} polecat/nux: gate test failed (exit 1) on the candidate`);
    expect(byKind.rework!.text).toBe(`${mr} polecat/nux back to ${nux}: gate test failed (exit 1) on the candidate`);
    expect(byKind.merged).toMatchObject({ bead: mr, actor: 'alpha/refinery', text: `${mr} polecat/nux 'fix login' in 0123456789ab (batch of 2)` });
    // in time order, each with its operation
    expect(events.map((e) => e.at)).toEqual(events.map((e) => e.at).sort());
    // the rework's operation says both that its gate failed and that it went back: one operation, two events
    expect(new Set(events.map((e) => `${e.op_id} ${e.kind}`)).size).toBe(events.length);
    expect(byKind.gate_failed!.op_id).toBe(byKind.rework!.op_id);
  });

  it('rejected, a release, a failing step gate, a service restarted; --rig and --since narrow it', () => {
    const town = newTown({ alpha: 'al', beta: 'be' });
    const stores = clocked(town);
    const { hq, alpha } = stores;
    const beta = stores.beta;
    const a = createBead(alpha, 'mayor', { title: 'a' }).id;
    updateBead(alpha, nux, a, {}, { claim: true });
    releaseBead(alpha, nux, a);
    const mr = fileMr(alpha, a, nux, 'polecat/nux', 'a');
    changeMq(alpha, 'mayor', mr, (m) => ({ mq: { ...m.mq, state: 'rejected', reason: 'not wanted' }, close: 'rejected: not wanted' }));
    const b = createBead(beta, 'mayor', { title: 'b' }).id;
    const svc = createBead(hq, 'gt', { title: 'beta/witness', issue_type: 'service', status: 'pinned', metadata: { service: { name: 'beta/witness', kind: 'agent', address: 'beta/witness', rig: 'beta' } } }).id;
    const restart = hq.nowIso();
    updateBead(hq, 'gt', svc, { metadata: { ...hq.get(svc).metadata, service_state: { restarts: [restart] } } });
    const step = pour(beta, b).step;
    beta.transaction('beta/polecats/nux', (tx) => tx.record(step, 'gate', { command: 'npm test', exit_code: 1, duration_ms: 5, output: 'FAIL', passed: false }));

    const all = readFeed(town);
    expect(all.map((e) => [e.store, e.kind])).toEqual([
      ['alpha', 'created'],
      ['alpha', 'claimed'],
      ['alpha', 'released'],
      ['alpha', 'mr_filed'],
      ['alpha', 'rejected'],
      ['beta', 'created'],
      ['hq', 'created'],
      ['hq', 'restarted'],
      ['beta', 'poured'],
      ['beta', 'gate_failed'],
    ]);
    expect(all.find((e) => e.kind === 'rejected')!.text).toBe(`${mr} polecat/nux: not wanted`);
    expect(all.find((e) => e.kind === 'restarted')).toMatchObject({ bead: svc, rig: 'beta', text: 'service beta/witness (restart 1 in its window)' });
    expect(all.find((e) => e.kind === 'gate_failed')!.text).toBe(`${step} step implement: gate npm test exited 1`);
    // a rig's events: its store's, and the town store's that concern it (the service of its witness)
    expect(kinds(readFeed(town, { rig: 'beta' }))).toEqual(['created', 'created', 'restarted', 'poured', 'gate_failed']);
    const since = all.find((e) => e.kind === 'rejected')!.at;
    expect(kinds(readFeed(town, { since }))).toEqual(['rejected', 'created', 'created', 'restarted', 'poured', 'gate_failed']);
  });

  it('refuses an unknown rig naming the known ones, and a bad --since duration', () => {
    const town = newTown({ alpha: 'al' });
    expect(() => readFeed(town, { rig: 'gamma' })).toThrow(/no rig gamma in town .* \(rigs: alpha\)/);
    expect(() => sinceTime('yesterday')).toThrow(BeadsError);
    expect(sinceTime('1h', Date.parse('2026-03-01T10:00:00Z'))).toBe('2026-03-01T09:00:00.000Z');
  });
});

describe('FeedCursor', () => {
  it('returns only new events on each poll, reading only the bytes appended since', () => {
    const town = newTown({ alpha: 'al' });
    const { hq, alpha } = clocked(town);
    createBead(alpha, 'mayor', { title: 'one' });
    mail(hq, 'mayor', 'alpha/witness', 'hello');
    const cursor = new FeedCursor(town);
    expect(kinds(cursor.poll())).toEqual(['created', 'mail']);
    const before = cursor.stats;
    expect(cursor.poll()).toEqual([]);
    expect(cursor.stats).toEqual(before); // nothing changed: nothing read

    const segment = join(alpha.dir, alpha.logFiles().at(-1)!);
    const size = readFileSync(segment).length;
    const two = createBead(alpha, 'mayor', { title: 'two' }).id;
    const appended = readFileSync(segment).length - size;
    const next = cursor.poll();
    expect(next.map((e) => [e.kind, e.bead])).toEqual([['created', two]]);
    expect(cursor.stats).toEqual({ bytes: before.bytes + appended, ops: before.ops + 1, resets: 0 });
  });

  it('a log rewritten by a merge is read again, and what was reported is not reported again', () => {
    const town = newTown({ alpha: 'al' });
    const { alpha } = clocked(town);
    createBead(alpha, 'mayor', { title: 'one' });
    createBead(alpha, 'mayor', { title: 'two' });
    const cursor = new FeedCursor(town);
    expect(kinds(cursor.poll())).toEqual(['created', 'created']);
    // what a merge may leave: the same lines in another order, a duplicate, and a line from another clone
    const segment = join(alpha.dir, alpha.logFiles().at(-1)!);
    const lines = readFileSync(segment, 'utf8').split('\n').filter(Boolean);
    const three = createBead(alpha, 'mayor', { title: 'three' }).id;
    const third = readFileSync(segment, 'utf8').split('\n').filter(Boolean).at(-1)!;
    writeFileSync(segment, [lines[1], third, lines[0], lines[1]].join('\n') + '\n');
    const again = cursor.poll();
    expect(again.map((e) => [e.kind, e.bead])).toEqual([['created', three]]);
    expect(cursor.stats.resets).toBe(1);
    appendFileSync(segment, third + '\n'); // a line duplicated again later
    expect(cursor.poll()).toEqual([]);
  });

  it('follows a rig added after it started, from its start', () => {
    const town = newTown({ alpha: 'al' });
    const cursor = new FeedCursor(town);
    expect(cursor.poll()).toEqual([]);
    const source = join(dirname(town.root), 'beta-src');
    execFileSync('git', ['init', '-q', source]);
    writeFileSync(join(source, 'README'), 'beta\n');
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'start', '--allow-empty'], { cwd: source });
    addRig(town, 'beta', source, { prefix: 'be' });
    const b = createBead(BeadStore.open(rigPaths(readTown(town.root), 'beta').store), 'mayor', { title: 'in beta' }).id;
    expect(cursor.poll().map((e) => [e.store, e.kind, e.bead])).toEqual([['beta', 'created', b]]);
  });

  it("a rig whose store is gone is named in cursor.unread, the others' events still returned; back, it is read from its start", () => {
    const town = newTown({ alpha: 'al', beta: 'be' });
    const stores = clocked(town);
    const { hq, alpha } = stores;
    const a = createBead(alpha, 'mayor', { title: 'in alpha' }).id;
    const b = createBead(stores.beta, 'mayor', { title: 'in beta' }).id;
    const h = createBead(hq, 'mayor', { title: 'in hq' }).id;
    const store = rigPaths(town, 'alpha').store;
    renameSync(store, `${store}.away`);
    const cursor = new FeedCursor(town);
    expect(cursor.poll().map((e) => e.bead)).toEqual([b, h]);
    expect(cursor.unread).toEqual([{ store: 'alpha', dir: store, message: `no bead store at ${store} (missing config.json)` }]);
    expect(cursor.poll()).toEqual([]);
    expect(cursor.unread.map((u) => u.store)).toEqual(['alpha']); // said again on each poll while it lasts
    renameSync(`${store}.away`, store);
    expect(cursor.poll().map((e) => e.bead)).toEqual([a]);
    expect(cursor.unread).toEqual([]);
  });

  it('an operation whose stamp is no real date is shown, ordered where its stamp puts it, and kept by --since', () => {
    const town = newTown({ alpha: 'al' });
    const { hq, alpha } = clocked(town); // 2026-03-01
    const a = createBead(alpha, 'mayor', { title: 'in alpha' }).id;
    const h = createBead(hq, 'mayor', { title: 'in hq' }).id;
    // another clone's segment, as a git pull brings it: 2026-13-45T99:99:99Z passes the log's schema
    const bad = '2026-13-45T99:99:99Z'; // 2027-02-18T04:40:39Z, carried over
    const line = (id: string, ts: string, lc: number) => JSON.stringify({ op_id: `foreign${String(lc).padStart(9, '0')}`, bead: id, kind: 'create', actor: 'overseer', ts, lc, fields: { title: id } });
    writeFileSync(join(alpha.dir, 'log', '000099-foreign1.jsonl'), [line('al-bad00001', bad, 1000), line('al-late0001', '2027-03-01T00:00:00Z', 1001)].join('\n') + '\n');
    const events = readFeed(town);
    expect(events.map((e) => [e.at, e.text])).toEqual([
      [expect.any(String), `${a} 'in alpha'`],
      [expect.any(String), `${h} 'in hq'`],
      [bad, "al-bad00001 'al-bad00001'"],
      ['2027-03-01T00:00:00Z', "al-late0001 'al-late0001'"],
    ]);
    expect(readFeed(town, { since: '2027-01-01T00:00:00Z' }).map((e) => e.bead)).toEqual(['al-bad00001', 'al-late0001']);
    expect(readFeed(town, { since: '2027-02-20T00:00:00Z' }).map((e) => e.bead)).toEqual(['al-late0001']);
  });
});

