// The refinery and bad input, through the built gt: each gets one clear error and changes nothing, or (a merge
// request whose branch is gone, one that breaks the gate itself, one whose polecat is gone) is dealt with alone
// while the others land. And the rules around the queue: max_reworks, one refinery per rig.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBead } from '@gastown/beads';
import { refineryRun } from '../../packages/gastown/src/index.js';
import { ensureClone, fetchRemote } from '../../packages/gastown/src/refinery/git.js';
import { GT, gt, logText, waitFor } from './helpers.js';
import { RIG, bead, fileMergeRequest, gateHook, mailTo, mainTip, mainValues, testRigs, mr, sh, timesAdded, type TestRig } from './refinery-harness.js';

const newRig = testRigs();
/** Everything the town's and the rig's stores hold, to see that nothing was written. */
const stores = (rig: TestRig): string => logText(rig.town) + logText(join(rig.town, RIG, 'main'));

describe('refinery: bad input gets one clear error and changes nothing', () => {
  it('an unknown merge request: gt mq show, retry and reject exit 3 naming it', () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'a\n' } });
    const before = stores(rig);
    for (const args of [['mq', 'show', 'al-zzzz'], ['mq', 'retry', 'al-zzzz'], ['mq', 'reject', 'al-zzzz', '--reason', 'no'], ['mq', 'show', 'nope-1'], ['mq', 'retry', f.source]]) {
      const r = gt(rig.town, args);
      expect({ args, code: r.code }).toEqual({ args, code: args[2] === f.source ? 4 : 3 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(args[2]!);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(stores(rig)).toBe(before);
    expect(mr(rig, f.mr).mq.state).toBe('queued');
  });

  it('a rig without gates: gt refinery run --once refuses, the merge requests stay queued and main does not move', () => {
    const rig = newRig({ settings: null });
    const before = mainTip(rig);
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'a\n' } });
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('has no gates');
    expect(r.stderr).toContain('.gastown/settings.json');
    expect(mr(rig, f.mr).mq).toMatchObject({ state: 'queued', attempts: [] });
    expect(mainTip(rig)).toBe(before);
  });

  it('a gate that does not exist: a clear error naming it, the merge requests stay queued, main does not move', () => {
    const rig = newRig({ settings: { gates: [{ name: 'suite', run: './no-such-suite.sh' }] } });
    const before = mainTip(rig);
    const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'a\n' } });
    const b = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'b\n' } });
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('gate "suite" does not exist');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    for (const f of [a, b]) expect(mr(rig, f.mr)).toMatchObject({ mq: { state: 'queued' }, bead: { status: 'open' } });
    expect(mailTo(rig, a.worker)).toEqual([]);
    expect(mainTip(rig)).toBe(before);
    // and again (a refinery looks every few seconds): each time the same error, and nothing is added
    const again = gt(rig.town, ['refinery', 'run', RIG, '--once']);
    expect(again.code).toBe(4);
    for (const f of [a, b]) expect(mr(rig, f.mr).mq.attempts).toEqual([]);
  });

  it('a gate script that is in the tree but runs a command that is not found, on the target too: the rig\'s error naming it (after the clone is restored and it runs again), the merge request stays queued', () => {
    const rig = newRig();
    gateHook(rig, 'exec bash -c no-such-tool-xyz');
    const before = mainTip(rig);
    const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'a\n' } });
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once']);
    expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({ code: 4, stderr: expect.stringContaining('gate "test" cannot run: ./test.sh is in the target\'s tree but a command it runs is not found, on the target too (exit 127: bash: line 1: no-such-tool-xyz: command not found)') });
    expect(mr(rig, a.mr)).toMatchObject({ mq: { state: 'queued', attempts: [] }, bead: { status: 'open' } });
    expect(mainTip(rig)).toBe(before);
  });

  it('a merge request that deletes the gate script is to blame, not the rig: it goes to rework and the others land', () => {
    const rig = newRig();
    const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    sh(rig.work, 'rm', '-q', 'test.sh');
    const b = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } }); // (its commit removes test.sh too)
    expect(sh(rig.work, 'show', '--stat', '--format=', b.commit)).toContain('test.sh');
    const c = fileMergeRequest(rig, 'dag', { files: { 'c.txt': 'unique-c\n' } });
    refineryRun(rig.townOf(), RIG, { once: true });
    expect([a, b, c].map((f) => mr(rig, f.mr).mq.state)).toEqual(['merged', 'rework', 'merged']);
    expect(mailTo(rig, b.worker).find((m) => m.subject.startsWith(`REWORK ${b.mr}`))?.body).toContain('test.sh');
    expect(sh(rig.remote, 'show', 'main:test.sh')).toContain('BREAK');
  });

  it('a merge request whose branch is gone from the remote is rejected with the reason (even when the refinery fetched it before); the others land', () => {
    const rig = newRig();
    const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const gone = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    const early = fileMergeRequest(rig, 'dag', { files: { 'c.txt': 'unique-c\n' } });
    // the refinery has seen every branch once (what each round begins with)
    const clone = join(rig.town, RIG, 'refinery');
    ensureClone(clone, rig.remote, join(rig.town, RIG, 'main'));
    fetchRemote(clone, 'origin');
    expect(sh(clone, 'cat-file', '-t', gone.commit)).toBe('commit');
    sh(rig.work, 'push', '-q', 'origin', `:${gone.branch}`);
    sh(rig.work, 'push', '-q', 'origin', `:${early.branch}`);
    refineryRun(rig.townOf(), RIG, { once: true });
    expect(mr(rig, a.mr).mq.state).toBe('merged');
    for (const f of [gone, early]) {
      const m = mr(rig, f.mr);
      expect(m.mq.state).toBe('rejected');
      expect(m.mq.reason).toContain(`${f.branch} is gone from the remote`);
      expect(bead(rig, f.source)).toMatchObject({ status: 'open' });
      expect(bead(rig, f.source).assignee ?? null).toBeNull();
      expect(timesAdded(rig, f === gone ? 'unique-b' : 'unique-c')).toBe(0);
    }
  });
});

describe('refinery: the rules around the queue', () => {
  it('after max_reworks the merge request is rejected, its bead released (open, unassigned), and the mayor and the overseer are told why', () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'x.txt': 'BREAK\n' }, reworks: 3 });
    refineryRun(rig.townOf(), RIG, { once: true });
    const m = mr(rig, f.mr);
    expect(m.mq.state).toBe('rejected');
    expect(m.bead.status).toBe('closed');
    expect(m.mq.reason).toContain('max_reworks is 3');
    expect(bead(rig, f.source).status).toBe('open');
    expect(bead(rig, f.source).assignee ?? null).toBeNull();
    for (const to of ['mayor', 'overseer']) {
      const mail = mailTo(rig, to).filter((x) => x.subject.startsWith(`REJECTED ${f.mr}`));
      expect(mail).toHaveLength(1);
      expect(mail[0]!.body).toContain('gate test failed');
    }
    expect(sh(rig.remote, 'rev-parse', '--verify', '-q', `refs/heads/${f.branch}`)).toBe(f.commit); // its branch is kept
    expect(mainValues(rig)).toEqual([]);
  });

  it('a second gt refinery run while one runs is refused clearly; the first carries on', async () => {
    const rig = newRig();
    const go = join(rig.ctl, 'go');
    gateHook(rig, `while [ ! -f ${go} ]; do sleep 0.05; done`);
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const first = spawn(process.execPath, [GT, 'refinery', 'run', RIG, '--once'], { cwd: rig.town, stdio: 'ignore' });
    const ended = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
    await waitFor(() => existsSync(join(rig.ctl, 'runs')), 'the first refinery to start its gate');
    const second = gt(rig.town, ['refinery', 'run', RIG, '--once']);
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(`another refinery is already running for rig ${RIG}`);
    const status = JSON.parse(gt(rig.town, ['refinery', 'status', RIG, '--json']).stdout) as { running: boolean; pid: number; testing: number };
    expect(status).toMatchObject({ running: true, pid: first.pid, testing: 1 });
    writeFileSync(go, '');
    expect(await ended).toBe(0);
    expect(mr(rig, f.mr).mq.state).toBe('merged');
  });

  it("a merge request whose polecat is gone from the town still lands, and one sent to rework tells the rig's witness", () => {
    const rig = newRig();
    const a = fileMergeRequest(rig, 'ghost', { files: { 'a.txt': 'unique-a\n' }, gone: true });
    const b = fileMergeRequest(rig, 'shade', { files: { 'b.txt': 'BREAK\n' }, gone: true });
    const c = fileMergeRequest(rig, 'nux', { files: { 'c.txt': 'unique-c\n' } });
    refineryRun(rig.townOf(), RIG, { once: true });
    expect([a, b, c].map((f) => mr(rig, f.mr).mq.state)).toEqual(['merged', 'rework', 'merged']);
    expect(bead(rig, a.source).status).toBe('closed');
    const witness = mailTo(rig, `${RIG}/witness`);
    expect(witness.map((m) => m.subject)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^MERGED ${a.mr}`)), expect.stringMatching(new RegExp(`^REWORK ${b.mr}`))]));
    expect(witness.find((m) => m.subject.startsWith(`REWORK ${b.mr}`))!.body).toContain(b.worker);
  });
});

describe('refinery: pull-request mode without a working gh', () => {
  it('gh not installed: gt refinery run exits 11 naming it, the merge request stays queued (not blamed), main does not move', () => {
    const rig = newRig({ settings: { gates: [{ name: 'test', run: './test.sh' }], merge: 'pr' } });
    const before = mainTip(rig);
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'a\n' } });
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once'], { GT_GH: join(rig.base, 'no-such-gh') });
    expect(r.code).toBe(11);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no-such-gh');
    expect(mr(rig, f.mr)).toMatchObject({ mq: { state: 'queued', reworks: 0 }, bead: { status: 'open' } });
    expect(mailTo(rig, f.worker)).toEqual([]);
    expect(mainTip(rig)).toBe(before);
  });

  it('gh refuses to open the pull request: an infrastructure error (exit 10) that blames no merge request', () => {
    const rig = newRig({ settings: { gates: [{ name: 'test', run: './test.sh' }], merge: 'pr' } });
    const fake = join(rig.ctl, 'gh');
    writeFileSync(fake, '#!/bin/sh\necho "HTTP 401: Bad credentials (https://api.github.com/graphql)" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'a\n' } });
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once'], { GT_GH: fake });
    expect(r.code).toBe(10);
    expect(`${r.stdout}${r.stderr}`).toContain('Bad credentials');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(mr(rig, f.mr)).toMatchObject({ mq: { state: 'queued', reworks: 0 }, bead: { status: 'open' } });
    expect(mr(rig, f.mr).mq.attempts.at(-1)!.outcome).toBe('infrastructure');
  });
});

describe('refinery: infrastructure errors blame no merge request', () => {
  it('the remote unreachable: gt refinery run exits 10 with one clear line, the merge requests stay queued; back, they land', () => {
    const rig = newRig();
    const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    // the refinery has its clone already (a round ran before), then the remote goes away
    expect(gt(rig.town, ['refinery', 'run', RIG, '--once']).code).toBe(0);
    const b = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    renameSync(rig.remote, `${rig.remote}.away`);
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once']);
    expect(r.code).toBe(10);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('remote.git');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(mr(rig, b.mr)).toMatchObject({ mq: { state: 'queued', reworks: 0 }, bead: { status: 'open' } });
    expect(mailTo(rig, b.worker)).toEqual([]);
    renameSync(`${rig.remote}.away`, rig.remote);
    expect(gt(rig.town, ['refinery', 'run', RIG, '--once']).code).toBe(0);
    expect([a, b].map((f) => mr(rig, f.mr).mq.state)).toEqual(['merged', 'merged']);
  });
});

describe('refinery: a malformed merge request', () => {
  it('one whose metadata lacks its commit (another version of gt, a hand-made bead) is rejected naming what is missing; the others land', () => {
    const rig = newRig();
    const good = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const store = rig.store();
    const source = createBead(store, 'mayor', { title: 'hand-made', issue_type: 'task' });
    const bad = createBead(store, 'mayor', {
      title: 'Merge polecat/hand: hand-made',
      issue_type: 'merge-request',
      priority: 0,
      metadata: { merge_request: { branch: 'polecat/hand', target: 'main', source_bead: source.id, worker: `${RIG}/polecats/hand` }, mq: { state: 'queued', queued_at: store.nowIso() } },
    });
    // the queue shows it, with what it has
    const listed = gt(rig.town, ['mq', 'list', RIG, '--json']);
    expect({ code: listed.code, err: listed.stderr }).toEqual({ code: 0, err: '' });
    expect((JSON.parse(listed.stdout) as { id: string; retries: number }[]).find((x) => x.id === bad.id)).toMatchObject({ retries: 0 });
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once']);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(mr(rig, good.mr).mq.state).toBe('merged');
    expect(mr(rig, bad.id)).toMatchObject({ mq: { state: 'rejected', reason: expect.stringContaining('commit') }, bead: { status: 'closed' } });
  });
});

describe("refinery: git's environment", () => {
  it('GIT_DIR and GIT_WORK_TREE set where gt refinery run starts (a git hook, a shell) do not reach its git: it lands in its own clone', () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const other = join(rig.base, 'other');
    sh(rig.base, 'init', '-q', other);
    const r = gt(rig.town, ['refinery', 'run', RIG, '--once'], { GIT_DIR: join(other, '.git'), GIT_WORK_TREE: other, GIT_INDEX_FILE: join(other, '.git', 'index') });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(mr(rig, f.mr).mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-a')).toBe(1);
    expect(sh(other, 'status', '--porcelain')).toBe('');
  });
});
