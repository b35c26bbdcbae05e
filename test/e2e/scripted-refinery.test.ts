// The scripted refinery and the scripted polecat's rework, end to end: a town in tmux whose rig's remote is a
// bare repository with gates committed in .gastown/settings.json. Nothing is called directly: the polecats
// file their merge requests with gt done, the refinery lands them because it was mailed, and a conflict goes
// back to its polecat, which redoes its work on the new target.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, updateBead } from '../../packages/beads/src/index.js';
import { bdJson, git, gt, gtJson, waitFor } from './helpers.js';

// longer than the longest wait inside a test, so that a wait that runs out says what it waited for
jest.setTimeout(300_000);

const towns: { town: string; base: string }[] = [];
afterEach(() => {
  for (const { town, base } of towns.splice(0)) {
    gt(town, ['down']);
    rmSync(base, { recursive: true, force: true });
  }
});

const scripted = { GT_RUNTIME: 'scripted' };

/**
 * A bare remote holding a project whose gate (./test.sh) checks that every line of shared.txt says `work of`,
 * and a one-step molecule (`edit`) whose step runs the bead's `sh step=change` blocks.
 */
function remote(base: string, gates = ['./test.sh']): string {
  const work = join(base, 'work');
  git(base, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'shared.txt'), 'work of nobody\n');
  writeFileSync(join(work, 'test.sh'), '#!/bin/sh\nset -e\ncd "$(dirname "$0")"\n! grep -v "^work of" shared.txt\n', { mode: 0o755 });
  mkdirSync(join(work, '.gastown'));
  writeFileSync(join(work, '.gastown', 'settings.json'), JSON.stringify({ gates }) + '\n');
  mkdirSync(join(work, 'molecules'));
  writeFileSync(join(work, 'molecules', 'edit.md'), '## Molecule: edit\nOne change.\n\n## Step: change\nMake the change the bead describes.\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'start');
  git(base, 'clone', '-q', '--bare', work, join(base, 'alpha.git'));
  return join(base, 'alpha.git');
}

function newTown(tag: string, up = true, gates?: string[]): { town: string; bare: string; base: string } {
  const base = mkdtempSync(join(tmpdir(), tag));
  const town = join(base, 'town');
  towns.push({ town, base });
  const bare = remote(base, gates);
  gt(base, ['install', town]);
  gtJson(town, ['rig', 'add', 'alpha', bare, '--prefix', 'al']);
  if (up) gtJson(town, ['up', '--no-daemon'], { ...scripted, GT_REFINERY_INTERVAL_MS: '500' });
  return { town, bare, base };
}

/** A bead whose one step appends a line to shared.txt: two of them touch the same lines. */
function appendBead(town: string, what: string): string {
  const description = `Say ${what} in shared.txt.\n\n\`\`\`sh step=change\necho "work of ${what}" >> shared.txt\n\`\`\`\n`;
  return bdJson<{ id: string }>(town, ['create', `append ${what}`, '--rig', 'alpha', '-d', description]).id;
}

interface Mr {
  id: string;
  status: string;
  close_reason?: string;
  metadata: { merge_request: { source_bead: string; commit: string }; mq: { state: string; merged_commit?: string } };
}

const clone = (town: string): string => join(town, 'alpha', 'main');
const mrs = (town: string): Mr[] => bdJson<Mr[]>(clone(town), ['list', '-t', 'merge-request', '--all', '-n', '0']);
const status = (town: string, id: string): string => bdJson<{ status: string }[]>(clone(town), ['show', id])[0]!.status;
const mainLog = (bare: string): string => git(bare, 'log', '--format=%s%n%b', 'main');
const subjects = (town: string, to: string): string[] => gtJson<{ subject: string }[]>(town, ['mail', 'inbox', '--to', to, '--all']).map((m) => m.subject);

describe('the scripted refinery', () => {
  it('lands a merge request it is mailed about: the gates pass on the candidate, main moves, the bead closes and the polecat hears MERGED', async () => {
    const { town, bare } = newTown('gt-scripted-refinery-');
    const before = git(bare, 'rev-parse', 'main').trim();
    const id = appendBead(town, 'one');
    const slung = gtJson<{ address: string; branch: string }>(town, ['sling', id, 'alpha', '--molecule', 'edit'], scripted);
    await waitFor(() => status(town, id) === 'closed' && mrs(town)[0]?.status === 'closed', `${id} and its merge request to be merged and closed`, 90_000);
    const [mr] = mrs(town);
    expect(mr).toMatchObject({ status: 'closed', metadata: { merge_request: { source_bead: id }, mq: { state: 'merged' } } });
    expect(git(bare, 'show', 'main:shared.txt')).toBe('work of nobody\nwork of one\n');
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(mr!.metadata.mq.merged_commit);
    expect(git(bare, 'rev-parse', 'main~1').trim()).toBe(before); // rebased: one commit on top
    expect(git(bare, 'branch', '--list', slung.branch).trim()).toBe(''); // its branch is gone from the remote
    // the gate ran on the candidate and is recorded on the merge request
    const shown = gtJson<{ mq: { attempts: { runs: { gate: string; passed: boolean }[] }[] } }>(town, ['mq', 'show', mr!.id]);
    expect(shown.mq.attempts.flatMap((a) => a.runs.map((r) => [r.gate, r.passed]))).toEqual([['./test.sh', true]]);
    await waitFor(() => subjects(town, slung.address).some((s) => s.startsWith(`MERGED ${mr!.id}:`)), 'the polecat to be told MERGED');
    // the refinery's session says what it did, and is still running
    await waitFor(() => gt(town, ['peek', 'alpha/refinery', '-n', '200']).stdout.includes(`[refinery] merged ${mr!.id}:`), 'the refinery to log the landing');
    expect(gtJson<{ address: string; state: string }[]>(town, ['agents']).find((a) => a.address === 'alpha/refinery')?.state).toBe('running');
    // on duty while its session runs, though its engine holds the lock only during a round
    expect(gtJson(town, ['refinery', 'status'])).toMatchObject({ rig: 'alpha', running: true, session: 'running', merged: 1, queued: 0, last_merged: { id: mr!.id } });
  });

  it('logs an error of the engine once and carries on; it looks at the queue on its own, unprompted, so a fixed setting is enough', async () => {
    const { town, bare } = newTown('gt-scripted-refinery-error-', true, ['./missing-gate.sh']);
    const before = git(bare, 'rev-parse', 'main').trim();
    const id = appendBead(town, 'patience');
    const polecat = gtJson<{ address: string }>(town, ['sling', id, 'alpha', '--molecule', 'edit'], scripted).address;
    const pane = (): string => gt(town, ['peek', 'alpha/refinery', '-n', '400']).stdout;
    await waitFor(() => pane().includes('[error] refinery: gate "./missing-gate.sh" does not exist'), 'the refinery to log the missing gate', 90_000).catch((err: Error) => {
      throw new Error(`${err.message}; its pane:\n${pane()}\nthe merge requests: ${JSON.stringify(mrs(town).map((m) => m.metadata.mq))}\n--- ${polecat}:\n${gt(town, ['peek', polecat, '-n', '200']).stdout}`);
    });
    // the merge request is not blamed: it waits in the queue, and main has not moved
    await waitFor(() => mrs(town)[0]?.metadata.mq.state === 'queued', 'the merge request to be back in the queue');
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(before);
    // the town's override fixes the gate; nobody mails or nudges the refinery
    expect(gt(town, ['rig', 'settings', 'alpha', 'gates', '["./test.sh"]']).code).toBe(0);
    await waitFor(() => status(town, id) === 'closed', `${id} to be merged by the refinery's own look at the queue`, 90_000);
    expect(git(bare, 'show', 'main:shared.txt')).toBe('work of nobody\nwork of patience\n');
    // it tried on every look in between, and said so once
    expect(pane().split('\n').filter((l) => l.includes('[error] refinery:'))).toHaveLength(1);
    expect(gtJson<{ address: string; state: string }[]>(town, ['agents']).find((a) => a.address === 'alpha/refinery')?.state).toBe('running');
  });

  it('two polecats edit the same lines: one lands, the other is sent REWORK, redoes its step on the new main, pushes its rewritten branch, and lands', async () => {
    const { town, bare } = newTown('gt-scripted-rework-');
    const ids = ['left', 'right'].map((w) => appendBead(town, w));
    const slung = ids.map((id) => gtJson<{ address: string; branch: string }>(town, ['sling', id, 'alpha', '--molecule', 'edit'], scripted));
    // (a landing closes the source bead first, then mails, then closes the merge request)
    await waitFor(() => ids.every((id) => status(town, id) === 'closed') && gtJson<unknown[]>(town, ['mq', 'list']).length === 0, 'both beads to be merged and closed, and the queue empty', 120_000).catch((err: Error) => {
      const panes = ['alpha/refinery', ...slung.map((x) => x.address)].map((a) => `--- ${a}:\n${gt(town, ['peek', a, '-n', '200']).stdout}`).join('\n');
      throw new Error(`${err.message}; the merge requests: ${JSON.stringify(mrs(town).map((m) => [m.id, m.metadata.mq.state, m.status]))}\n${panes}`);
    });
    const lines = git(bare, 'show', 'main:shared.txt').split('\n');
    expect(lines.slice(0, 1)).toEqual(['work of nobody']);
    expect(lines.slice(1).sort()).toEqual(['', 'work of left', 'work of right']);
    // exactly one of them conflicted and was reworked: its first merge request was superseded by its second
    const reworks = slung.flatMap((s) => subjects(town, s.address).filter((x) => x.startsWith('REWORK ')));
    expect(reworks).toHaveLength(1);
    expect(reworks[0]).toMatch(/^REWORK \S+: conflicts on main$/);
    const all = mrs(town);
    expect(all.map((m) => m.metadata.mq.state).sort()).toEqual(['merged', 'merged', 'superseded']);
    const superseded = all.find((m) => m.metadata.mq.state === 'superseded')!;
    const redone = all.find((m) => m.metadata.mq.state === 'merged' && m.metadata.merge_request.source_bead === superseded.metadata.merge_request.source_bead)!;
    expect(redone.metadata.merge_request.commit).not.toBe(superseded.metadata.merge_request.commit);
    // the reworked commit was built on the first landing and landed right on top of it
    const first = all.find((m) => m.metadata.mq.state === 'merged' && m !== redone)!;
    expect(git(bare, 'rev-parse', `${redone.metadata.mq.merged_commit}~1`).trim()).toBe(first.metadata.mq.merged_commit);
    expect(mainLog(bare)).toContain(`change (${superseded.metadata.merge_request.source_bead})`);
    // the gate holds on main
    expect(git(bare, 'show', 'main:shared.txt').split('\n').filter(Boolean).every((l) => l.startsWith('work of'))).toBe(true);
  });
});

describe("gt done after a rework", () => {
  it("replaces the polecat's own rewritten branch on the remote under a lease: never work it has not seen, never the target", async () => {
    const { town, bare, base } = newTown('gt-done-lease-', false); // no refinery: the merge requests stay queued
    const id = appendBead(town, 'lease');
    const slung = gtJson<{ address: string; branch: string }>(town, ['sling', id, 'alpha', '--molecule', 'edit'], scripted);
    await waitFor(() => mrs(town).length === 1, 'the polecat to file its merge request', 90_000);
    const worktree = join(town, 'alpha', 'polecats', slung.address.split('/').pop()!);
    const inside = { GT_AGENT: slung.address, GT_TOWN: town };
    const first = mrs(town)[0]!;
    expect(git(bare, 'rev-parse', slung.branch).trim()).toBe(first.metadata.merge_request.commit);

    // a rework rewrites the branch: gt done replaces it on the remote and supersedes the waiting merge request
    git(worktree, 'commit', '-q', '--amend', '-m', 'change, redone');
    const redone = gtJson<{ merge_request: string; commit: string; superseded: string[] }>(worktree, ['done'], inside);
    expect(redone.superseded).toEqual([first.id]);
    expect(git(bare, 'rev-parse', slung.branch).trim()).toBe(redone.commit);

    // someone else pushed to the branch since: the lease refuses, and nothing is filed or replaced
    const other = join(base, 'other');
    git(base, 'clone', '-q', bare, other);
    git(other, 'checkout', '-q', slung.branch);
    git(other, 'commit', '-q', '--allow-empty', '-m', 'not the polecat');
    git(other, 'push', '-q', 'origin', slung.branch);
    const theirs = git(other, 'rev-parse', 'HEAD').trim();
    git(worktree, 'commit', '-q', '--amend', '-m', 'change, redone again');
    const refused = gt(worktree, ['done'], inside);
    expect(refused.code).toBe(10);
    expect(refused.stderr).toMatch(/pushing polecat\/\w+ to origin .*stale info.*; nothing was filed/);
    expect(git(bare, 'rev-parse', slung.branch).trim()).toBe(theirs);
    expect(mrs(town).filter((m) => m.status !== 'closed').map((m) => m.id)).toEqual([redone.merge_request]);

    // the refinery sent it back, and the polecat resubmits the same commit: it is queued again, one rework more
    const store = BeadStore.open(join(clone(town), '.beads'));
    const waiting = store.get(redone.merge_request);
    updateBead(store, 'alpha/refinery', waiting.id, { status: 'blocked', metadata: { ...waiting.metadata, mq: { ...(waiting.metadata as { mq: object }).mq, state: 'rework', reason: 'conflicts' } } });
    git(worktree, 'reset', '-q', '--hard', redone.commit);
    const again = gtJson<{ merge_request: string; existing: boolean; requeued?: boolean }>(worktree, ['done', '--no-push'], inside);
    expect(again).toMatchObject({ merge_request: redone.merge_request, existing: true, requeued: true });
    expect(store.get(redone.merge_request)).toMatchObject({ status: 'open', metadata: { mq: { state: 'queued', reworks: 1 } } });
    // and once more changes nothing: it is queued, not in rework
    expect(gtJson<{ requeued?: boolean }>(worktree, ['done', '--no-push'], inside).requeued).toBeUndefined();
    // a merge request the refinery has taken is not waiting any more: a newer commit does not supersede it
    const taken = store.get(redone.merge_request);
    updateBead(store, 'alpha/refinery', taken.id, { status: 'in_progress', metadata: { ...taken.metadata, mq: { ...(taken.metadata as { mq: object }).mq, state: 'testing' } } });
    git(worktree, 'commit', '-q', '--amend', '-m', 'change, while it was tested');
    const newer = gtJson<{ merge_request: string; existing: boolean; superseded: string[] }>(worktree, ['done', '--no-push'], inside);
    expect(newer).toMatchObject({ existing: false, superseded: [] });
    expect(store.get(taken.id)).toMatchObject({ status: 'in_progress', metadata: { mq: { state: 'testing' } } });

    // a worktree on the target files nothing and pushes nothing
    const openBefore = mrs(town).filter((m) => m.status !== 'closed').length;
    const main = git(bare, 'rev-parse', 'main').trim();
    git(worktree, 'checkout', '-q', '--ignore-other-worktrees', 'main');
    const onTarget = gt(worktree, ['done'], inside);
    expect(onTarget.code).toBe(5);
    expect(onTarget.stderr).toMatch(/is on main, the branch its work merges into; check out its own branch \(polecat\/\w+\)/);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(main);
    expect(mrs(town).filter((m) => m.status !== 'closed')).toHaveLength(openBefore);
  });
});

describe("the scripted polecat's rework", () => {
  it('a REWORK mail read while its merge request is still being tested stays in the inbox, and is acted on once the merge request is in rework', async () => {
    const { town, bare, base } = newTown('gt-rework-early-', false); // no refinery: the test plays it
    const id = appendBead(town, 'early');
    const slung = gtJson<{ address: string; branch: string }>(town, ['sling', id, 'alpha', '--molecule', 'edit'], scripted);
    await waitFor(() => mrs(town).length === 1, 'the polecat to file its merge request', 90_000);
    const first = mrs(town)[0]!;
    const pane = (): string => gt(town, ['peek', slung.address, '-n', '200']).stdout;
    const explain = (err: Error): never => {
      throw new Error(`${err.message}; the merge requests: ${JSON.stringify(mrs(town).map((m) => [m.id, m.metadata.mq.state, m.status]))}\n--- ${slung.address}:\n${pane()}`);
    };
    // the refinery has taken it, and its REWORK mail arrives (with a nudge) before its state says so
    const store = BeadStore.open(join(clone(town), '.beads'));
    const setState = (state: string, status: 'in_progress' | 'blocked'): void => {
      const cur = store.get(first.id);
      updateBead(store, 'alpha/refinery', first.id, { status, metadata: { ...cur.metadata, mq: { ...(cur.metadata as { mq: object }).mq, state } } });
    };
    setState('testing', 'in_progress');
    const subject = `REWORK ${first.id}: conflicts on main`;
    expect(gt(town, ['mail', 'send', slung.address, '-s', subject, '-m', 'polecat/x conflicts with main in shared.txt'], { GT_AGENT: 'alpha/refinery' }).code).toBe(0);
    await waitFor(() => pane().includes(`[rework] ${first.id}:`), 'the polecat to look at its REWORK mail', 90_000).catch(explain);
    expect(pane()).toContain(`[rework] ${first.id}: not yet: it is testing, not waiting for rework`);
    // not acknowledged: it is still in the inbox
    expect(gtJson<{ subject: string }[]>(town, ['mail', 'inbox', '--to', slung.address]).map((m) => m.subject)).toEqual([subject]);
    // main moves; the refinery sends it back and nudges the polecat: it redoes its work on the new main
    const other = join(base, 'other');
    git(base, 'clone', '-q', bare, other);
    writeFileSync(join(other, 'other.txt'), 'someone else\n');
    git(other, 'add', '-A');
    git(other, 'commit', '-qm', 'someone else');
    git(other, 'push', '-q', 'origin', 'main');
    setState('rework', 'blocked');
    expect(gt(town, ['nudge', slung.address, '[gt refinery] look again'], { GT_AGENT: 'alpha/refinery' }).code).toBe(0);
    await waitFor(() => mrs(town).some((m) => m.id === first.id && m.metadata.mq.state === 'superseded'), 'the polecat to redo its work and supersede its merge request', 90_000).catch(explain);
    const redone = mrs(town).find((m) => m.id !== first.id)!;
    expect(redone.metadata.merge_request.source_bead).toBe(id);
    expect(git(bare, 'rev-parse', `${redone.metadata.merge_request.commit}~1`).trim()).toBe(git(other, 'rev-parse', 'HEAD').trim());
    // handled, so acknowledged
    await waitFor(() => gtJson<unknown[]>(town, ['mail', 'inbox', '--to', slung.address]).length === 0, 'the REWORK mail to be acknowledged').catch(explain);
  });

  it('a rework that git fails (a lock left in its worktree) is not lost: the mail stays in the inbox and the polecat tries again on its own', async () => {
    const { town } = newTown('gt-rework-retry-', false); // no refinery: the test plays it
    const id = appendBead(town, 'retry');
    const slung = gtJson<{ address: string; worktree: string }>(town, ['sling', id, 'alpha', '--molecule', 'edit'], scripted);
    await waitFor(() => mrs(town).length === 1, 'the polecat to file its merge request', 90_000);
    const first = mrs(town)[0]!;
    const pane = (): string => gt(town, ['peek', slung.address, '-n', '200']).stdout;
    const explain = (err: Error): never => {
      throw new Error(`${err.message}; the merge requests: ${JSON.stringify(mrs(town).map((m) => [m.id, m.metadata.mq.state, m.status]))}\n--- ${slung.address}:\n${pane()}`);
    };
    // git's index lock in the polecat's worktree: its git reset fails until the lock is gone
    const lock = join(git(slung.worktree, 'rev-parse', '--absolute-git-dir').trim(), 'index.lock');
    writeFileSync(lock, '');
    const store = BeadStore.open(join(clone(town), '.beads'));
    const cur = store.get(first.id);
    updateBead(store, 'alpha/refinery', first.id, { status: 'blocked', metadata: { ...cur.metadata, mq: { ...(cur.metadata as { mq: object }).mq, state: 'rework', reason: 'conflicts' } } });
    const subject = `REWORK ${first.id}: conflicts on main`;
    expect(gt(town, ['mail', 'send', slung.address, '-s', subject, '-m', 'polecat/x conflicts with main in shared.txt'], { GT_AGENT: 'alpha/refinery' }).code).toBe(0);
    await waitFor(() => /index\.lock.*trying again in \d+ ms/.test(pane()), 'the rework to fail on the lock, and say it tries again', 90_000).catch(explain);
    expect(gtJson<{ subject: string }[]>(town, ['mail', 'inbox', '--to', slung.address]).map((m) => m.subject)).toEqual([subject]);
    // the lock goes away; nobody nudges the polecat
    rmSync(lock);
    await waitFor(() => mrs(town).some((m) => m.id === first.id && m.metadata.mq.state === 'superseded'), 'the polecat to redo its work on its own and supersede its merge request', 90_000).catch(explain);
    await waitFor(() => gtJson<unknown[]>(town, ['mail', 'inbox', '--to', slung.address]).length === 0, 'the REWORK mail to be acknowledged').catch(explain);
  });
});

describe('the queue survives restarts', () => {
  it('after gt down in the middle of a gate and gt up, the queue carries on where it was: each lands once, none is left taken', async () => {
    const { town, bare } = newTown('gt-mq-restart-');
    // a gate slow enough to be caught running
    expect(gt(town, ['rig', 'settings', 'alpha', 'gates', '["sleep 2 && ./test.sh"]']).code).toBe(0);
    const names = ['north', 'south', 'east'];
    const ids = names.map((w) => {
      const description = `Write ${w}.txt.\n\n\`\`\`sh step=change\necho "work of ${w}" > ${w}.txt\n\`\`\`\n`;
      return bdJson<{ id: string }>(town, ['create', `write ${w}`, '--rig', 'alpha', '-d', description]).id;
    });
    for (const id of ids) gtJson(town, ['sling', id, 'alpha', '--molecule', 'edit'], scripted);
    await waitFor(() => mrs(town).some((m) => m.metadata.mq.state === 'testing'), 'the refinery to be gating a merge request', 90_000);
    expect(gt(town, ['down']).code).toBe(0);
    const held = mrs(town);
    expect(held.some((m) => m.metadata.mq.state === 'testing' || m.metadata.mq.state === 'landing' || m.metadata.mq.state === 'merged')).toBe(true);

    gtJson(town, ['up', '--no-daemon'], { ...scripted, GT_REFINERY_INTERVAL_MS: '500' });
    await waitFor(() => ids.every((id) => status(town, id) === 'closed') && mrs(town).every((m) => m.status === 'closed'), 'every bead and merge request to be closed after the restart', 150_000);
    const all = mrs(town);
    expect(all.filter((m) => m.metadata.mq.state === 'merged').map((m) => m.metadata.merge_request.source_bead).sort()).toEqual([...ids].sort());
    expect(all.some((m) => ['queued', 'testing', 'landing'].includes(m.metadata.mq.state))).toBe(false);
    // each bead's work is on main exactly once
    for (const w of names) expect(git(bare, 'show', `main:${w}.txt`)).toBe(`work of ${w}\n`);
    const log = mainLog(bare);
    for (const id of ids) expect(log.split('\n').filter((l) => l === `change (${id}): write ${names[ids.indexOf(id)]}`)).toHaveLength(1);
  });
});
