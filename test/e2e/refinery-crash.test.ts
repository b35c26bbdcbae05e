// Crash safety: the real `gt refinery run` process (and its whole process group: git, the gates) is killed
// with SIGKILL at random moments while it works through ten merge requests, and restarted each time. What the
// next one finds, it finishes: every merge request lands exactly once, none is lost or left taken, the
// refinery's clone is clean and every source bead is closed.
import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { refineryRound } from '../../packages/gastown/src/index.js';
import { GT, waitFor } from './helpers.js';
import { RIG, allMrs, bead, expectMainNeverBroken, fileMergeRequest, gateHook, mailTo, mr, testRigs, sh, timesAdded, type TestRig } from './refinery-harness.js';

const newRig = testRigs();

/** A small deterministic random (the seed is printed when the test fails, in the message). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Starts `gt refinery run --once` in a process group of its own; resolves when it ends, with how. */
function startRefinery(town: string): { pid: number; ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> } {
  const child = spawn(process.execPath, [GT, 'refinery', 'run', RIG, '--once'], { cwd: town, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BD_ACTOR: 'tester' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
  return { pid: child.pid!, ended };
}

/** Lock files git left in the remote and in the refinery's clone (what a kill inside git leaves). */
function lockFiles(rig: TestRig): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.lock')) found.push(path);
    }
  };
  walk(rig.remote);
  walk(join(rig.town, RIG, 'refinery', '.git'));
  return found;
}

/**
 * Runs the refinery `kills` times, each killed (its whole process group, SIGKILL) at a random moment unless it
 * ended first, then once to completion. The seed comes from CRASH_SEED, else the clock; it is in the result.
 */
async function killLoop(rig: TestRig, kills: number): Promise<{ seed: number; killedLive: number; runs: string[]; final: ReturnType<typeof spawnSync> }> {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100000);
  const rand = random(seed);
  let killedLive = 0;
  const runs: string[] = [];
  for (let kill = 0; kill < kills; kill++) {
    const r = startRefinery(rig.town);
    let done = false;
    void r.ended.then(() => (done = true));
    await new Promise((res) => setTimeout(res, 100 + Math.floor(rand() * 1000)));
    if (!done) {
      killedLive++;
      try {
        process.kill(-r.pid, 'SIGKILL');
      } catch {
        /* it ended meanwhile */
      }
    }
    const end = await r.ended;
    runs.push(`${end.signal ?? end.code}${end.code ? `: ${end.out.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
  }
  const final = spawnSync(process.execPath, [GT, 'refinery', 'run', RIG, '--once'], { cwd: rig.town, encoding: 'utf8', env: { ...process.env, BD_ACTOR: 'tester' } });
  return { seed, killedLive, runs, final };
}

describe('refinery: crash safety', () => {
  it('ten merge requests, the refinery SIGKILLed twenty times at random moments and restarted: each lands exactly once, none lost or left taken, the clone clean, every source bead closed', async () => {
    const rig = newRig();
    gateHook(rig, 'sleep 0.4');
    const filed = Array.from({ length: 10 }, (_, i) => fileMergeRequest(rig, `p${i}`, { files: { [`f${i}.txt`]: `unique-${i}\n` } }));
    const { seed, killedLive, runs, final } = await killLoop(rig, 20);
    const context = `seed ${seed}; runs:\n${runs.join('\n')}\n; final: ${final.stdout}${final.stderr}; git locks left: ${lockFiles(rig).join(', ') || 'none'}`;
    expect({ context, code: final.status }).toEqual({ context, code: 0 });
    expect(killedLive).toBeGreaterThanOrEqual(10); // the kills hit a working refinery, not an idle one
    const states = Object.fromEntries(allMrs(rig).map((m) => [m.bead.id, `${m.mq.state}/${m.bead.status}`]));
    expect({ context, states }).toEqual({ context, states: Object.fromEntries(filed.map((f) => [f.mr, 'merged/closed'])) });
    for (let i = 0; i < 10; i++) expect({ context, line: i, times: timesAdded(rig, `unique-${i}`) }).toEqual({ context, line: i, times: 1 });
    for (const f of filed) expect(bead(rig, f.source).status).toBe('closed');
    expect(sh(join(rig.town, RIG, 'refinery'), 'status', '--porcelain')).toBe('');
    expectMainNeverBroken(rig, ['test']);
  });

  it("a refinery killed inside git leaves git's lock files in its clone: the next one clears them and carries on", () => {
    const rig = newRig();
    const first = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    expect(spawnSync(process.execPath, [GT, 'refinery', 'run', RIG, '--once'], { cwd: rig.town, encoding: 'utf8' }).status).toBe(0);
    expect(allMrs(rig).find((m) => m.bead.id === first.mr)!.mq.state).toBe('merged');
    // what git killed with SIGKILL leaves behind: the index's lock (checkout), a ref's lock (fetch)
    const clone = join(rig.town, RIG, 'refinery');
    writeFileSync(join(clone, '.git', 'index.lock'), '');
    writeFileSync(join(clone, '.git', 'refs', 'remotes', 'origin', 'main.lock'), '');
    const next = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    const r = spawnSync(process.execPath, [GT, 'refinery', 'run', RIG, '--once'], { cwd: rig.town, encoding: 'utf8' });
    expect({ code: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ code: 0, out: expect.stringContaining('merged') });
    expect(allMrs(rig).find((m) => m.bead.id === next.mr)!.mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-b')).toBe(1);
    expect(sh(clone, 'status', '--porcelain')).toBe('');
  });

  it("git's lock files that appear after the refinery started (a git outliving the refinery killed a moment ago) do not stop its round", () => {
    const rig = newRig();
    const first = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    expect(spawnSync(process.execPath, [GT, 'refinery', 'run', RIG, '--once'], { cwd: rig.town, encoding: 'utf8' }).status).toBe(0);
    expect(allMrs(rig).find((m) => m.bead.id === first.mr)!.mq.state).toBe('merged');
    // past the run's clearing of stale locks: a round meets them in the middle of its work
    const clone = join(rig.town, RIG, 'refinery');
    writeFileSync(join(clone, '.git', 'index.lock'), '');
    writeFileSync(join(clone, '.git', 'config.lock'), '');
    const next = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    refineryRound(rig.townOf(), RIG);
    expect(allMrs(rig).find((m) => m.bead.id === next.mr)!.mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-b')).toBe(1);
  });

  it('batch 4 with two culprits among ten, killed twelve times: the eight innocents land exactly once, the culprits are in rework and were told, nothing is left taken', async () => {
    const rig = newRig({ settings: { gates: [{ name: 'test', run: './test.sh' }], batch: 4 } });
    gateHook(rig, 'sleep 0.3');
    const culprits = new Set([2, 7]);
    const filed = Array.from({ length: 10 }, (_, i) => fileMergeRequest(rig, `p${i}`, { files: { [`f${i}.txt`]: `${culprits.has(i) ? 'BREAK ' : ''}unique-${i}\n` } }));
    const { seed, killedLive, runs, final } = await killLoop(rig, 12);
    const context = `seed ${seed}; runs:\n${runs.join('\n')}\n; final: ${final.stdout}${final.stderr}; git locks left: ${lockFiles(rig).join(', ') || 'none'}`;
    expect({ context, code: final.status }).toEqual({ context, code: 0 });
    expect(killedLive).toBeGreaterThanOrEqual(6);
    const states = Object.fromEntries(allMrs(rig).map((m) => [m.bead.id, m.mq.state]));
    expect({ context, states }).toEqual({ context, states: Object.fromEntries(filed.map((f, i) => [f.mr, culprits.has(i) ? 'rework' : 'merged'])) });
    for (let i = 0; i < 10; i++) expect({ context, line: i, times: timesAdded(rig, `unique-${i}`) }).toEqual({ context, line: i, times: culprits.has(i) ? 0 : 1 });
    filed.forEach((f, i) => {
      if (culprits.has(i)) {
        expect(bead(rig, f.source)).toMatchObject({ status: 'in_progress', assignee: f.worker });
        expect(mailTo(rig, f.worker).filter((m) => m.subject.startsWith(`REWORK ${f.mr}`)).length).toBeGreaterThanOrEqual(1);
      } else expect(bead(rig, f.source).status).toBe('closed');
    });
    expect(sh(join(rig.town, RIG, 'refinery'), 'status', '--porcelain')).toBe('');
    expectMainNeverBroken(rig, ['test']);
  });

  it('a refinery killed inside git init leaves a .git that is not yet a repository: the next completes it and works in its own clone, never the town\'s', () => {
    const rig = newRig();
    const clone = join(rig.town, RIG, 'refinery');
    // the refinery session's own file, there before the clone was made
    mkdirSync(join(clone, '.runtime'));
    writeFileSync(join(clone, '.runtime', 'settings.json'), '{}\n');
    // what git init killed half-way leaves: its directory with the templates, but no HEAD nor objects yet
    sh(clone, 'init', '-q');
    rmSync(join(clone, '.git', 'HEAD'));
    rmSync(join(clone, '.git', 'objects'), { recursive: true });
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const r = refineryRound(rig.townOf(), RIG);
    expect(r.events.map((e) => e.action)).toEqual(['merged']);
    expect(allMrs(rig).find((m) => m.bead.id === f.mr)!.mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-a')).toBe(1);
    // (git looking upward from a .git that is not a repository finds the town's, and works there)
    expect(sh(rig.town, 'remote')).toBe('');
    expect(existsSync(join(rig.town, 'test.sh'))).toBe(false);
    expect(sh(clone, 'rev-parse', '--absolute-git-dir')).toBe(join(clone, '.git'));
    expect(readFileSync(join(clone, '.runtime', 'settings.json'), 'utf8')).toBe('{}\n');
    expect(readFileSync(join(clone, '.git', 'info', 'exclude'), 'utf8')).toContain('/.runtime/');
    expect(sh(clone, 'status', '--porcelain')).toBe('');
  });

  it('a clone left with the gate script missing from its worktree and a stale index.lock (a checkout killed half-way): the next round restores it, and the merge request lands', () => {
    const rig = newRig();
    const first = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    refineryRound(rig.townOf(), RIG);
    expect(allMrs(rig).find((m) => m.bead.id === first.mr)!.mq.state).toBe('merged');
    const clone = join(rig.town, RIG, 'refinery');
    rmSync(join(clone, 'test.sh'));
    rmSync(join(clone, 'lines.txt'));
    writeFileSync(join(clone, '.git', 'index.lock'), '');
    const next = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    const r = refineryRound(rig.townOf(), RIG);
    expect(r.events.map((e) => e.action)).toEqual(['merged']);
    expect(allMrs(rig).find((m) => m.bead.id === next.mr)!.mq.state).toBe('merged');
    expect(timesAdded(rig, 'unique-b')).toBe(1);
    expect(sh(clone, 'status', '--porcelain')).toBe('');
  });

  it('a gate script the candidate has but its worktree lacks when the gate runs (exit 127) is the clone\'s fault: the clone is restored and the gate runs again, and the batch lands', () => {
    // the first gate takes the script out of the worktree, as a checkout killed half-way would have left it
    const rig = newRig({ settings: { gates: [{ name: 'prep', run: 'rm -f test.sh' }, { name: 'test', run: './test.sh' }], batch: 2 } });
    const a = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const b = fileMergeRequest(rig, 'slit', { files: { 'b.txt': 'unique-b\n' } });
    const r = refineryRound(rig.townOf(), RIG);
    expect(r.events.map((e) => e.action)).toEqual(['merged', 'merged']);
    for (const f of [a, b]) expect(mr(rig, f.mr).mq.state).toBe('merged');
    const runs = mr(rig, b.mr).mq.attempts.at(-1)!.runs.filter((x) => x.gate === 'test');
    expect(runs.map((x) => [x.exit_code, Boolean(x.flaky)])).toEqual([
      [127, false],
      [0, true],
    ]);
    expectMainNeverBroken(rig, ['prep', 'test']);
  });

  it("a gate left running by a killed refinery is ended before the next one gates: what it writes in the clone does not reach the next candidate's gate", async () => {
    const rig = newRig();
    const clone = join(rig.town, RIG, 'refinery');
    // the first gate run keeps writing a file that fails the gate into the clone, until it is ended
    gateHook(rig, `if [ ! -f ${rig.ctl}/first ]; then touch ${rig.ctl}/first; while true; do echo BREAK > polluted.txt; sleep 0.01; done; fi`);
    const f = fileMergeRequest(rig, 'nux', { files: { 'a.txt': 'unique-a\n' } });
    const first = startRefinery(rig.town);
    await waitFor(() => existsSync(join(clone, 'polluted.txt')), 'the first gate to start writing');
    process.kill(-first.pid, 'SIGKILL');
    await first.ended;
    const r = spawnSync(process.execPath, [GT, 'refinery', 'run', RIG, '--once'], { cwd: rig.town, encoding: 'utf8' });
    expect({ code: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ code: 0, out: expect.stringContaining('merged') });
    expect(allMrs(rig).find((m) => m.bead.id === f.mr)!.mq.state).toBe('merged');
    expect(sh(clone, 'status', '--porcelain')).toBe('');
  });
});
