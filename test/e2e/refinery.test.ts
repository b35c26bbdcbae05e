// The refinery's guarantees (docs/refinery.md), each a test against real git: a bare remote whose hook records
// every value main takes, a town with the rig added from it, and a gate committed in the rig's repository.
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { addDependency, closeBead, createBead, updateBead } from '@gastown/beads';
import { refineryRound, refineryRun, retryMergeRequest, queueRows } from '../../packages/gastown/src/index.js';
import { gt } from './helpers.js';
import { RIG, allMrs, bead, expectMainNeverBroken, fileMergeRequest, gateHook, gateRunsSeen, mailTo, mainSubjects, mainTip, mainValues, testRigs, mr, refileMergeRequest, sh, timesAdded, type TestRig } from './refinery-harness.js';

const newRig = testRigs();
const run = (rig: TestRig) => refineryRun(rig.townOf(), RIG, { once: true });
const lines = (changes: Record<number, string>): string =>
  Array.from({ length: 10 }, (_, i) => changes[i + 1] ?? `line ${i + 1}`).join('\n') + '\n';

describe('refinery: main is never broken', () => {
  it('every value main takes has a passing gate run recorded for its exact tree, through clean, failing, conflicting and batched merge requests', () => {
    const rig = newRig();
    const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const b = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'BREAK unique-b\n' } });
    const c = fileMergeRequest(rig, 'furiosa', { files: { 'lines.txt': lines({ 3: 'furiosa was here' }) } });
    const d = fileMergeRequest(rig, 'toast', { files: { 'lines.txt': lines({ 3: 'toast was here' }) } });
    const e = fileMergeRequest(rig, 'dag', { files: { 'e.txt': 'unique-e\n' } });
    run(rig);
    expect([a, c, e].map((f) => mr(rig, f.mr).mq.state)).toEqual(['merged', 'merged', 'merged']);
    expect([b, d].map((f) => mr(rig, f.mr).mq.state)).toEqual(['rework', 'rework']);
    const values = expectMainNeverBroken(rig, ['test']);
    expect(values.length).toBe(3);
    expect(values.at(-1)).toBe(mainTip(rig));
    // and each landed commit is the candidate that was gated
    for (const f of [a, c, e]) expect(values).toContain(mr(rig, f.mr).mq.merged_commit);
  });
});

describe('refinery: rework', () => {
  it('two polecats edit the same lines: one lands, the other gets REWORK mail naming the file, redoes its work on the new main, and lands', () => {
    const rig = newRig();
    const first = fileMergeRequest(rig, 'nux', { files: { 'lines.txt': lines({ 5: 'nux edit' }) } });
    const second = fileMergeRequest(rig, 'slit', { files: { 'lines.txt': lines({ 5: 'slit edit' }) } });
    run(rig);
    expect(mr(rig, first.mr).mq.state).toBe('merged');
    const conflicted = mr(rig, second.mr);
    expect(conflicted.mq.state).toBe('rework');
    expect(conflicted.mq.attempts.at(-1)!.runs).toEqual([]); // found before any gate ran
    expect(bead(rig, second.source)).toMatchObject({ status: 'in_progress', assignee: second.worker });
    const mail = mailTo(rig, second.worker).filter((m) => m.subject.startsWith(`REWORK ${second.mr}`));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.body).toContain('lines.txt');
    // the polecat redoes its branch on the new main, and gt done supersedes the old merge request
    const redo = refileMergeRequest(rig, 'slit', second, { 'lines.txt': lines({ 5: 'nux edit', 6: 'slit edit' }) });
    expect(mr(rig, redo.mr).mq.reworks).toBe(1);
    run(rig);
    expect(mr(rig, redo.mr).mq.state).toBe('merged');
    expect(mr(rig, second.mr).mq.state).toBe('superseded');
    expect(bead(rig, second.source).status).toBe('closed');
    expect(sh(rig.remote, 'show', 'main:lines.txt')).toContain('nux edit\nslit edit');
    expectMainNeverBroken(rig, ['test']);
  });

  it("a merge request whose gate fails does not land, main does not move, and the polecat's mail holds the gate's output", () => {
    const rig = newRig();
    const before = mainTip(rig);
    const f = fileMergeRequest(rig, 'nux', { files: { 'broken.txt': 'BREAK\n' } });
    run(rig);
    expect(mainTip(rig)).toBe(before);
    expect(mainValues(rig)).toEqual([]);
    const m = mr(rig, f.mr);
    expect(m.mq.state).toBe('rework');
    expect(m.mq.attempts.at(-1)!.runs.map((r) => [r.gate, r.passed, r.exit_code])).toEqual([['test', false, 1], ['test', false, 1]]); // run once more before it counts
    const mail = mailTo(rig, f.worker).filter((x) => x.subject.startsWith(`REWORK ${f.mr}`));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.body).toContain('FAIL: BREAK found in broken.txt');
    expect(bead(rig, f.source)).toMatchObject({ status: 'in_progress', assignee: f.worker });
  });
  it('writes the rework state before the mail: a refinery stopped between the two tells the polecat on its next round, once', () => {
    const rig = newRig();
    const f = fileMergeRequest(rig, 'nux', { files: { 'broken.txt': 'BREAK\n' } });
    // what a refinery killed right after it wrote the state leaves: in rework, blocked, and no mail
    const store = rig.store();
    const m = mr(rig, f.mr);
    const attempt = { n: 1, started_at: store.nowIso(), base: mainTip(rig), runs: [], outcome: 'gate_failed' as const, detail: 'gate test failed (exit 1) on the candidate' };
    updateBead(store, 'alpha/refinery', f.mr, { status: 'blocked', metadata: { ...(m.bead.metadata as Record<string, unknown>), mq: { ...m.mq, state: 'rework', reason: attempt.detail, attempts: [attempt] } } });
    expect(mailTo(rig, f.worker)).toEqual([]);
    const r = run(rig);
    expect(r.events).toEqual([expect.objectContaining({ action: 'recovered', mr: f.mr })]);
    const told = (): { subject: string; body: string }[] => mailTo(rig, f.worker).filter((x) => x.subject.startsWith(`REWORK ${f.mr}`));
    expect(told()).toEqual([{ subject: `REWORK ${f.mr}: gate failed on main`, body: expect.stringContaining(`gt mq show ${f.mr} --output`) }]);
    expect(told()[0]!.body).toContain('gate test failed (exit 1) on the candidate');
    // told once: the next round finds the mail and sends none, and the merge request stays in rework
    expect(run(rig).events).toEqual([]);
    expect(told()).toHaveLength(1);
    expect(mr(rig, f.mr).mq.state).toBe('rework');
  });
});

describe('refinery: race with a person', () => {
  it('a commit pushed to main while the gate runs: the landing is refused, the candidate is gated again on top, and both end up on main', () => {
    const rig = newRig();
    const side = join(rig.base, 'side');
    sh(rig.base, 'clone', '-q', rig.remote, side);
    // the first gate run, a person pushes to main
    gateHook(rig, `if [ ! -f ${rig.ctl}/raced ]; then touch ${rig.ctl}/raced; cd ${side} && echo person > person.txt && git add -A && git -c user.name=p -c user.email=p@p commit -qm 'a person pushes' && git push -q origin HEAD:main; fi`);
    const f = fileMergeRequest(rig, 'nux', { files: { 'nux.txt': 'unique-nux\n' } });
    run(rig);
    const person = sh(side, 'rev-parse', 'HEAD');
    const m = mr(rig, f.mr);
    expect(m.mq.state).toBe('merged');
    expect(sh(rig.remote, 'merge-base', '--is-ancestor', person, 'main')).toBe('');
    expect(sh(rig.remote, 'rev-parse', `${m.mq.merged_commit}^`)).toBe(person);
    expect(m.mq.attempts.map((a) => a.outcome)).toEqual(['retarget', 'landed']);
    expect(m.mq.attempts[1]!.base).toBe(person);
    expect(timesAdded(rig, 'unique-nux')).toBe(1);
    expect(gateRunsSeen(rig)).toHaveLength(2);
    expectMainNeverBroken(rig, ['test'], [person]);
  });
});

describe('refinery: race with a person, harder', () => {
  const racer = (rig: TestRig, file: string, content: string): string => {
    const side = join(rig.base, 'side');
    sh(rig.base, 'clone', '-q', rig.remote, side);
    gateHook(rig, `if [ ! -f ${rig.ctl}/raced ]; then touch ${rig.ctl}/raced; cd ${side} && printf '${content}' > ${file} && git add -A && git -c user.name=p -c user.email=p@p commit -qm 'a person pushes' && git push -q origin HEAD:main; fi`);
    return side;
  };

  it('a batch of three raced by a person: refused, rebuilt on top, gated again, and all four commits end up on main', () => {
    const rig = newRig({ settings: { gates: [{ name: 'test', run: './test.sh' }], batch: 3 } });
    const side = racer(rig, 'person.txt', 'person\n');
    const filed = [1, 2, 3].map((i) => fileMergeRequest(rig, `p${i}`, { files: { [`f${i}.txt`]: `unique-${i}\n` } }));
    run(rig);
    const person = sh(side, 'rev-parse', 'HEAD');
    for (const f of filed) expect(mr(rig, f.mr).mq.state).toBe('merged');
    expect(mainSubjects(rig)).toEqual(['a person pushes', 'p1: its work', 'p2: its work', 'p3: its work']);
    for (const i of [1, 2, 3]) expect(timesAdded(rig, `unique-${i}`)).toBe(1);
    expectMainNeverBroken(rig, ['test'], [person]);
  });

  it("a person's push that conflicts with the candidate being gated: the merge request goes to rework naming the file, main keeps the person's commit", () => {
    const rig = newRig();
    const side = racer(rig, 'lines.txt', 'person rewrote everything\n');
    const f = fileMergeRequest(rig, 'nux', { files: { 'lines.txt': lines({ 2: 'nux edit' }) } });
    run(rig);
    expect(mr(rig, f.mr).mq.state).toBe('rework');
    expect(mainTip(rig)).toBe(sh(side, 'rev-parse', 'HEAD'));
    expect(mailTo(rig, f.worker).find((m) => m.subject.startsWith(`REWORK ${f.mr}`))?.body).toContain('lines.txt');
  });
});

describe('refinery: landing is a compare-and-set against the base', () => {
  it('a person rewinds main while a candidate is gated (removing a landed commit): the landing is refused and the removed commit does not come back', () => {
    const rig = newRig();
    const start = mainTip(rig);
    const a = fileMergeRequest(rig, 'nux', { files: { 'secret.txt': 'unique-secret\n' } });
    refineryRound(rig.townOf(), RIG);
    expect(mr(rig, a.mr).mq.state).toBe('merged');
    // the person takes it out again (force-pushes main back) while the next candidate is gated
    gateHook(rig, `if [ ! -f ${rig.ctl}/rewound ]; then touch ${rig.ctl}/rewound; git -C ${rig.remote} update-ref refs/heads/main ${start}; fi`);
    const b = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' }, from: start });
    run(rig);
    const m = mr(rig, b.mr);
    expect(m.mq.state).toBe('merged');
    expect(m.mq.attempts.map((x) => x.outcome)).toEqual(['retarget', 'landed']);
    expect(timesAdded(rig, 'unique-secret')).toBe(0);
    expect(sh(rig.remote, 'rev-parse', `${m.mq.merged_commit}^`)).toBe(start);
  });
});

describe('refinery: batching', () => {
  for (const position of [1, 4, 8]) {
    it(`eight merge requests with the culprit at ${position} and batch 8: seven land, the culprit goes to rework, at most 2 + log2(8) gate runs`, () => {
      const rig = newRig({ settings: { gates: [{ name: 'test', run: './test.sh' }], batch: 8 } });
      const filed = Array.from({ length: 8 }, (_, i) => fileMergeRequest(rig, `p${i + 1}`, { files: { [`f${i + 1}.txt`]: `${i + 1 === position ? 'BREAK ' : ''}unique-${i + 1}\n` } }));
      const r = run(rig);
      const culprit = filed[position - 1]!;
      expect(mr(rig, culprit.mr).mq.state).toBe('rework');
      for (const f of filed.filter((x) => x !== culprit)) expect(mr(rig, f.mr).mq.state).toBe('merged');
      expect(r.gate_runs).toBeLessThanOrEqual(5);
      expect(gateRunsSeen(rig).length).toBe(r.gate_runs);
      for (let i = 1; i <= 8; i++) expect(timesAdded(rig, `unique-${i}`)).toBe(i === position ? 0 : 1);
      expect(mailTo(rig, culprit.worker).find((m) => m.subject.startsWith(`REWORK ${culprit.mr}`))?.body).toContain(`BREAK found in f${position}.txt`);
      expectMainNeverBroken(rig, ['test']);
    });
  }
});

describe('refinery: fairness', () => {
  it('a P3 merge request queued longer than max_wait lands before newer P1s; without aging the P1s go first', () => {
    const rig = newRig();
    const old = new Date(Date.now() - 2 * 3600_000).toISOString();
    const p3 = fileMergeRequest(rig, 'old', { files: { 'old.txt': 'old\n' }, priority: 3, queuedAt: old });
    const p1 = [fileMergeRequest(rig, 'new1', { files: { 'n1.txt': 'n1\n' }, priority: 1 }), fileMergeRequest(rig, 'new2', { files: { 'n2.txt': 'n2\n' }, priority: 1 })];
    const young = fileMergeRequest(rig, 'young', { files: { 'y.txt': 'y\n' }, priority: 3 });
    run(rig);
    const order = [p3, ...p1, young].map((f) => f.mr);
    expect(mainSubjects(rig)).toEqual(['old: its work', 'new1: its work', 'new2: its work', 'young: its work']);
    expect(order.map((id) => mr(rig, id).mq.state)).toEqual(['merged', 'merged', 'merged', 'merged']);
  });
});

describe('refinery: retry', () => {
  it('gt mq retry puts a merge request in rework back in the queue, behind those of its priority and ahead of lower ones', () => {
    const rig = newRig();
    const broken = fileMergeRequest(rig, 'nux', { files: { 'x.txt': 'BREAK\n' }, priority: 2 });
    run(rig);
    expect(mr(rig, broken.mr).mq.state).toBe('rework');
    const later = fileMergeRequest(rig, 'slit', { files: { 's.txt': 's\n' }, priority: 2 });
    const low = fileMergeRequest(rig, 'dag', { files: { 'd.txt': 'd\n' }, priority: 3 });
    const retried = retryMergeRequest(rig.townOf(), broken.mr, 'overseer');
    expect(retried.mq).toMatchObject({ state: 'queued', retries: 1 });
    expect(bead(rig, broken.mr).status).toBe('open');
    const rows = queueRows(rig.townOf(), RIG, { maxWaitMs: 3600_000 });
    expect(rows.map((r) => [r.position, r.id])).toEqual([[1, later.mr], [2, broken.mr], [3, low.mr]]);
    // it is tried again, in that order
    const r = refineryRound(rig.townOf(), RIG);
    expect(r.events.map((e) => [e.action, e.mr])).toEqual([['merged', later.mr]]);
  });
});

describe('refinery: pull-request mode', () => {
  /** A stand-in gh on PATH: it records its calls, opens one pull request per head, and answers from a state file. */
  function standInGh(rig: TestRig): { calls: () => string[][]; setState: (head: string, state: string, oid?: string) => void; restore: () => void } {
    const bin = join(rig.ctl, 'bin');
    mkdirSync(bin);
    const script = `#!/usr/bin/env node
const fs = require('fs');
const dir = ${JSON.stringify(rig.ctl)};
const args = process.argv.slice(2);
fs.appendFileSync(dir + '/gh-calls', JSON.stringify(args) + '\\n');
const prs = fs.existsSync(dir + '/prs.json') ? JSON.parse(fs.readFileSync(dir + '/prs.json', 'utf8')) : {};
const save = () => fs.writeFileSync(dir + '/prs.json', JSON.stringify(prs));
const opt = (name) => args[args.indexOf(name) + 1];
if (args[0] === 'pr' && args[1] === 'create') {
  const head = opt('--head');
  const url = 'https://github.example/acme/alpha/pull/' + (Object.keys(prs).length + 1);
  prs[head] = { url, state: 'OPEN', base: opt('--base') };
  save();
  console.log(url);
} else if (args[0] === 'pr' && args[1] === 'view') {
  const pr = Object.entries(prs).find(([head, p]) => head === args[2] || p.url === args[2]);
  if (!pr) { console.error('no pull requests found for branch "' + args[2] + '"'); process.exit(1); }
  const p = pr[1];
  const fields = opt('--json').split(',');
  const out = {};
  for (const f of fields) out[f] = f === 'mergeCommit' ? (p.oid ? { oid: p.oid } : null) : p[f];
  console.log(JSON.stringify(out));
} else { console.error('stand-in gh: unexpected ' + args.join(' ')); process.exit(2); }
`;
    writeFileSync(join(bin, 'gh'), script);
    chmodSync(join(bin, 'gh'), 0o755);
    const path = process.env.PATH;
    const gtGh = process.env.GT_GH;
    delete process.env.GT_GH;
    process.env.PATH = `${bin}:${path}`;
    return {
      calls: () => (existsSync(join(rig.ctl, 'gh-calls')) ? readFileSync(join(rig.ctl, 'gh-calls'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
      setState: (head, state, oid) => {
        const prs = JSON.parse(readFileSync(join(rig.ctl, 'prs.json'), 'utf8')) as Record<string, { state: string; oid?: string }>;
        prs[head] = { ...prs[head]!, state, ...(oid ? { oid } : {}) };
        writeFileSync(join(rig.ctl, 'prs.json'), JSON.stringify(prs));
      },
      restore: () => {
        process.env.PATH = path;
        if (gtGh !== undefined) process.env.GT_GH = gtGh;
      },
    };
  }

  it('merge: pr gates the candidate, pushes it to gt/<mr> and opens a pull request; when gh says merged, the merge request and its bead close; closed unmerged, it is rejected', () => {
    const rig = newRig({ settings: { gates: [{ name: 'test', run: './test.sh' }], merge: 'pr' } });
    const gh = standInGh(rig);
    try {
      const before = mainTip(rig);
      const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
      const b = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
      run(rig);
      expect(mainTip(rig)).toBe(before); // the refinery never pushes a protected target
      for (const [f, n] of [[a, 1], [b, 2]] as const) {
        const m = mr(rig, f.mr);
        expect(m.mq.state).toBe('pr');
        expect(m.mq.pr_url).toBe(`https://github.example/acme/alpha/pull/${n}`);
        const head = sh(rig.remote, 'rev-parse', `refs/heads/gt/${f.mr}`);
        expect(head).toBe(m.mq.attempts.at(-1)!.candidate);
        expect(m.mq.attempts.at(-1)!.runs.filter((r) => r.passed).map((r) => r.tree)).toEqual([sh(rig.remote, 'rev-parse', `${head}^{tree}`)]);
        expect(m.bead.status).not.toBe('closed');
        expect(bead(rig, f.source).status).toBe('in_progress');
      }
      expect(gh.calls()).toEqual(expect.arrayContaining([expect.arrayContaining(['pr', 'create', '--base', 'main', '--head', `gt/${a.mr}`])]));
      // a person merges the first pull request (main goes to its head) and closes the second unmerged
      const candidate = sh(rig.remote, 'rev-parse', `refs/heads/gt/${a.mr}`);
      sh(rig.remote, 'update-ref', 'refs/heads/main', candidate, before);
      gh.setState(`gt/${a.mr}`, 'MERGED', candidate);
      gh.setState(`gt/${b.mr}`, 'CLOSED');
      run(rig);
      const merged = mr(rig, a.mr);
      expect(merged).toMatchObject({ mq: { state: 'merged', merged_commit: candidate }, bead: { status: 'closed' } });
      expect(bead(rig, a.source).status).toBe('closed');
      expect(sh(rig.remote, 'branch', '--list', a.branch)).toBe('');
      expect(mailTo(rig, a.worker).map((m) => m.subject)).toContain(`MERGED ${a.mr}: ${a.branch}`);
      const closed = mr(rig, b.mr);
      expect(closed.mq.state).toBe('rejected');
      expect(closed.mq.reason).toContain('closed without merging');
      expect(bead(rig, b.source).status).toBe('open');
    } finally {
      gh.restore();
    }
  });
});

describe('refinery: the queue waits where it should', () => {
  it('a merge request whose source bead is blocked waits (gt mq list says why) and lands once its blocker closes; the others go by', () => {
    const rig = newRig();
    const store = rig.store();
    const blocker = createBead(store, 'mayor', { title: 'the schema first', issue_type: 'task' });
    const waits = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' }, priority: 0 });
    addDependency(store, 'mayor', waits.source, blocker.id, 'blocks');
    const other = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' }, priority: 3 });
    const list = JSON.parse(gt(rig.town, ['mq', 'list', RIG, '--json']).stdout) as { id: string; position: number | null; waiting?: string }[];
    expect(list.find((r) => r.id === waits.mr)).toMatchObject({ position: null, waiting: expect.stringContaining('blocked') });
    run(rig);
    expect(mr(rig, other.mr).mq.state).toBe('merged');
    expect(mr(rig, waits.mr).mq.state).toBe('queued');
    closeBead(store, 'mayor', blocker.id, 'done');
    run(rig);
    expect(mr(rig, waits.mr).mq.state).toBe('merged');
    expect(mainSubjects(rig)).toEqual(['slit: its work', 'nux: its work']);
  });

  it('max_reworks counts across submissions: with a town override of 1, the first failure is a rework, the resubmission failing too is rejected', () => {
    const rig = newRig();
    const set = gt(rig.town, ['rig', 'settings', RIG, 'max_reworks', '1']);
    expect(set.code).toBe(0);
    const first = fileMergeRequest(rig, 'nux', { files: { 'x.txt': 'BREAK 1\n' } });
    run(rig);
    expect(mr(rig, first.mr).mq.state).toBe('rework');
    const again = refileMergeRequest(rig, 'nux', first, { 'x.txt': 'BREAK 2\n' });
    expect(mr(rig, again.mr).mq.reworks).toBe(1);
    run(rig);
    expect(mr(rig, again.mr).mq).toMatchObject({ state: 'rejected', reason: expect.stringContaining('max_reworks is 1') });
    expect(bead(rig, first.source).status).toBe('open');
    expect(mailTo(rig, 'overseer').map((m) => m.subject)).toContain(`REJECTED ${again.mr}: ${again.branch}`);
  });
});
