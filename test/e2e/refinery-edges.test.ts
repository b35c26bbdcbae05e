// The refinery at its edges: a branch that moved after gt done, a merge request that breaks the refinery's own
// settings, gates that time out or flake, and the merge and squash styles, each with main never broken.
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { refineryRun } from '../../packages/gastown/src/index.js';
import { RIG, bead, expectMainNeverBroken, fileMergeRequest, gateHook, mailTo, mainTip, testRigs, mr, sh, timesAdded, type TestRig } from './refinery-harness.js';

const newRig = testRigs();
const run = (rig: TestRig) => refineryRun(rig.townOf(), RIG, { once: true });
const GATES = [{ name: 'test', run: './test.sh' }];

describe('refinery: exactly the commit recorded', () => {
  it('a branch that moved after gt done: the recorded commit lands, the newer work does not, and the branch holding it is kept', () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-recorded\n' } });
    // the polecat carries on on its branch: a new submission, not this merge request
    sh(rig.work, 'checkout', '-q', f.branch);
    sh(rig.work, 'reset', '-q', '--hard', f.commit);
    writeFileSync(join(rig.work, 'later.txt'), 'unique-later\n');
    sh(rig.work, 'add', '-A');
    sh(rig.work, 'commit', '-qm', 'nux: more work');
    sh(rig.work, 'push', '-q', 'origin', f.branch);
    const later = sh(rig.work, 'rev-parse', 'HEAD');
    run(rig);
    expect(mr(rig, f.mr).mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-recorded')).toBe(1);
    expect(timesAdded(rig, 'unique-later')).toBe(0);
    expect(sh(rig.remote, 'rev-parse', '--verify', '-q', `refs/heads/${f.branch}`)).toBe(later);
    expectMainNeverBroken(rig, ['test']);
  });

  it("a branch pushed after the round's fetch (gt done pushed while the round began) is asked of the remote, not taken for gone", () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-late\n' } });
    // the branch is not on the remote when the round fetches; it arrives right after (the round's first look at
    // the clock comes after its fetch and before it takes the queue's first merge request)
    sh(rig.work, 'push', '-q', 'origin', `:${f.branch}`);
    let pushed = false;
    const now = (): number => {
      if (!pushed) {
        pushed = true;
        sh(rig.work, 'push', '-q', 'origin', `${f.commit}:refs/heads/${f.branch}`);
      }
      return Date.now();
    };
    refineryRun(rig.townOf(), RIG, { once: true, now });
    expect(pushed).toBe(true);
    expect([mr(rig, f.mr).mq.state, mr(rig, f.mr).mq.reason]).toEqual(['merged', expect.stringContaining('merged in')]);
    expect(timesAdded(rig, 'unique-late')).toBe(1);
  });

  it('a branch still at the recorded commit is deleted from the remote once it lands', () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'a\n' } });
    run(rig);
    expect(mr(rig, f.mr).mq.state).toBe('merged');
    expect(sh(rig.remote, 'branch', '--list', f.branch)).toBe('');
  });
});

describe('refinery: a merge request filed without a push', () => {
  it("gt done --no-push: the refinery takes the commit from the rig's clone and lands it", () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' }, noPush: true });
    expect(sh(rig.remote, 'branch', '--list', f.branch)).toBe('');
    run(rig);
    expect(mr(rig, f.mr).mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-a')).toBe(1);
    expect(bead(rig, f.source).status).toBe('closed');
  });
});

describe("refinery: its directory is also its session's", () => {
  it("files an AI refinery's session put in <rig>/refinery before its first round (.claude/settings.local.json) survive the clone's cleaning", () => {
    const rig = newRig();
    const dir = join(rig.town, RIG, 'refinery');
    // what gt up writes for a claude refinery before the engine ever made its clone there
    mkdirSync(join(dir, '.claude'), { recursive: true });
    writeFileSync(join(dir, '.claude', 'settings.local.json'), '{"hooks": {}}\n');
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    run(rig);
    expect(mr(rig, f.mr).mq.state).toBe('merged');
    expect(readFileSync(join(dir, '.claude', 'settings.local.json'), 'utf8')).toBe('{"hooks": {}}\n');
    expect(sh(dir, 'status', '--porcelain')).toBe('');
  });
});

describe('refinery: a town that moved', () => {
  it("the town's directory renamed: the refinery's clone follows the rig's clone, and a merge request filed without a push still lands", () => {
    const rig = newRig();
    const first = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    run(rig);
    expect(mr(rig, first.mr).mq.state).toBe('merged');
    const moved = join(rig.base, 'town-moved');
    renameSync(rig.town, moved);
    rig.town = moved;
    const f = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' }, noPush: true });
    run(rig);
    expect(mr(rig, f.mr).mq).toMatchObject({ state: 'merged' });
    expect(timesAdded(rig, 'unique-b')).toBe(1);
  });
});

describe("refinery: the refinery's own settings", () => {
  it('a merge request that removes every gate goes to rework: landed, it would stop the refinery for every later one', () => {
    const rig = newRig();
    const bad = fileMergeRequest(rig, 'nux', { files: { '.gastown/settings.json': '{"gates": []}\n' } });
    const good = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    run(rig);
    expect(mr(rig, bad.mr).mq.state).toBe('rework');
    expect(mailTo(rig, bad.worker).find((m) => m.subject.startsWith(`REWORK ${bad.mr}`))?.body).toContain('no gates');
    expect(mr(rig, good.mr).mq.state).toBe('merged');
  });

  it('a merge request that makes .gastown/settings.json invalid goes to rework naming the problem; the queue goes on', () => {
    const rig = newRig();
    const bad = fileMergeRequest(rig, 'nux', { files: { '.gastown/settings.json': '{"gates": ["./test.sh"], "batchh": 2}\n' } });
    const good = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    run(rig);
    expect(mr(rig, bad.mr).mq.state).toBe('rework');
    expect(mailTo(rig, bad.worker).find((m) => m.subject.startsWith(`REWORK ${bad.mr}`))?.body).toContain('batchh');
    expect(mr(rig, good.mr).mq.state).toBe('merged');
    expect(JSON.parse(sh(rig.remote, 'show', 'main:.gastown/settings.json'))).toEqual({ gates: GATES });
  });
});

describe('refinery: gates that time out or flake', () => {
  it('a gate past its timeout is stopped, counts as a gate timeout, and the polecat is told; main does not move', () => {
    const rig = newRig({ settings: { gates: [{ name: 'test', run: './test.sh', timeout: '1s' }] } });
    const before = mainTip(rig);
    gateHook(rig, `if [ -f slow.txt ]; then sleep 30; fi`);
    const slow = fileMergeRequest(rig, 'nux', { files: { 'slow.txt': 'slow\n' } });
    run(rig);
    const m = mr(rig, slow.mr);
    expect(m.mq.state).toBe('rework');
    expect(m.mq.attempts.at(-1)!.outcome).toBe('gate_timeout');
    expect(m.mq.attempts.at(-1)!.runs.every((r) => r.timed_out && !r.passed)).toBe(true);
    expect(mailTo(rig, slow.worker).find((x) => x.subject.startsWith(`REWORK ${slow.mr}`))?.body).toContain('timed out');
    expect(mainTip(rig)).toBe(before);
  });

  it('a gate that fails once and then passes is a flake: recorded, and the merge request lands', () => {
    const rig = newRig();
    const once = join(rig.ctl, 'flaked');
    gateHook(rig, `if [ ! -f ${once} ]; then touch ${once}; echo flaky; exit 1; fi`);
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    run(rig);
    const m = mr(rig, f.mr);
    expect(m.mq.state).toBe('merged');
    expect(m.mq.attempts.at(-1)!.runs.map((r) => [r.passed, r.flaky ?? false])).toEqual([[false, false], [true, true]]);
    expectMainNeverBroken(rig, ['test']);
  });
});

describe("refinery: the gate's output", () => {
  it('coloured output (ANSI escapes, carriage returns, other control bytes) reaches the record and the rework mail as plain text', () => {
    const rig = newRig();
    gateHook(rig, `if [ -f red.txt ]; then printf 'progress 10%%\\rprogress 100%%\\n\\033[31m\\033[1mFAIL\\033[0m red.txt: expected \\033]8;;http://x\\007link\\033]8;;\\007 \\001\\002done\\n'; exit 1; fi`);
    const f = fileMergeRequest(rig, 'nux', { files: { 'red.txt': 'red\n' } });
    const g = fileMergeRequest(rig, 'slit', { files: { 'g.txt': 'unique-g\n' } });
    run(rig);
    expect([f, g].map((x) => mr(rig, x.mr).mq.state)).toEqual(['rework', 'merged']);
    const output = mr(rig, f.mr).mq.attempts.at(-1)!.runs.at(-1)!.output;
    expect(output).toContain('FAIL red.txt: expected link done');
    expect(output).toContain('progress 100%');
    // eslint-disable-next-line no-control-regex
    expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(mailTo(rig, f.worker).find((m) => m.subject.startsWith(`REWORK ${f.mr}`))?.body).toContain('FAIL red.txt');
  });
});

describe('refinery: merge styles', () => {
  it('merge: a merge commit of main and the branch; squash: one commit with the change; both gated', () => {
    for (const style of ['merge', 'squash'] as const) {
      const rig = newRig({ settings: { gates: GATES, merge: style } });
      const first = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
      const second = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
      run(rig);
      for (const f of [first, second]) {
        const m = mr(rig, f.mr);
        expect(m.mq.state).toBe('merged');
        const parents = sh(rig.remote, 'rev-list', '--parents', '-n', '1', m.mq.merged_commit!).split(' ').slice(1);
        if (style === 'merge') expect(parents[1]).toBe(f.commit);
        else expect(parents).toHaveLength(1);
      }
      expect(timesAdded(rig, 'unique-a')).toBe(1);
      expect(timesAdded(rig, 'unique-b')).toBe(1);
      expect(bead(rig, second.source).status).toBe('closed');
      expectMainNeverBroken(rig, ['test']);
    }
  });
});


describe("refinery: the target is the merge request's", () => {
  it("a person checks out another branch in the rig's clone: the merge requests still land on the target gt done recorded", () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    sh(join(rig.town, RIG, 'main'), 'checkout', '-q', '-b', 'experiment');
    run(rig);
    expect(mr(rig, f.mr).mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-a')).toBe(1);
    expect(sh(rig.remote, 'branch', '--list', 'experiment')).toBe('');
  });

  it('a merge request for a target the remote does not have is rejected saying so; the others land', () => {
    const rig = newRig();
    const lost = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' }, target: 'release-9', priority: 0 });
    const f = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    run(rig);
    expect(mr(rig, lost.mr).mq).toMatchObject({ state: 'rejected', reason: expect.stringContaining('release-9 is not a branch of the remote') });
    expect(mr(rig, f.mr).mq.state).toBe('merged');
  });
});

describe('refinery: an error after the push', () => {
  it('leaves what it pushed to recovery: the next run finishes the landing, and squash lands no empty second commit', () => {
    const rig = newRig({ settings: { gates: GATES, merge: 'squash' } });
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    // the push is accepted, then the town's store (where the MERGED mail goes) cannot be opened
    const config = join(rig.town, '.beads', 'config.json');
    const good = readFileSync(config, 'utf8');
    writeFileSync(join(rig.remote, 'hooks', 'post-receive'), `#!/bin/sh\necho '{' > ${config}\nexit 0\n`);
    expect(() => run(rig)).toThrow();
    const pushed = mainTip(rig);
    expect(mr(rig, f.mr).mq.state).toBe('landing'); // not back in the queue: it is on main
    writeFileSync(config, good);
    run(rig);
    const m = mr(rig, f.mr);
    expect(m.mq).toMatchObject({ state: 'merged', merged_commit: pushed });
    expect(mainTip(rig)).toBe(pushed);
    expect(timesAdded(rig, 'unique-a')).toBe(1);
    expect(bead(rig, f.source).status).toBe('closed');
  });
});
