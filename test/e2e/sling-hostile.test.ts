// Hostile gt sling and gt rig: five slings at once, slings to two rigs at once, a sling SIGKILLed while it
// holds the rig's sling lock, and one SIGKILLed in its setup, after making its worktree and branch.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GT, bd, bdJson, gt, waitFor, git, gtJson } from './helpers.js';

const towns: { town: string; base: string }[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  children.splice(0).forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  for (const { town } of towns) gt(town, ['down']);
  for (const { base } of towns.splice(0)) rmSync(base, { recursive: true, force: true });
});


/** A town with these rigs, whose polecats run `cat` (idle), and each rig's branch creation held up a while. */
function newTown(tag: string, rigs: [string, string][]): string {
  const base = mkdtempSync(join(tmpdir(), tag));
  const town = join(base, 'town');
  towns.push({ town, base });
  gt(base, ['install', town]);
  for (const [name, prefix] of rigs) {
    const src = join(base, `${name}-src`);
    git(base, 'init', '-q', src);
    writeFileSync(join(src, 'README'), `${name}\n`);
    bd(src, ['init', '--prefix', prefix]);
    git(src, 'add', '-A');
    git(src, 'commit', '-qm', 'start');
    gtJson(town, ['rig', 'add', name, src]);
    // creating a polecat's branch takes a while, so slings at once overlap between choosing a name and taking it
    writeFileSync(join(town, name, 'main', '.git', 'hooks', 'reference-transaction'), '#!/bin/sh\n[ "$1" = prepared ] || exit 0\ngrep -q " refs/heads/polecat/" && sleep 1\nexit 0\n', { mode: 0o755 });
  }
  const config = JSON.parse(readFileSync(join(town, 'town.json'), 'utf8'));
  config.runtimes = { commands: { idle: 'cat' } };
  writeFileSync(join(town, 'town.json'), JSON.stringify(config));
  return town;
}

function sling(town: string, id: string, rig: string): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, [GT, 'sling', id, rig, '--runtime', 'idle', '--json'], { cwd: town, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, out }))) };
}

const task = (town: string, rig: string, title: string): string => bdJson<{ id: string }>(town, ['create', title, '--rig', rig]).id;

interface Slung {
  address: string;
  bead: string;
  polecat: string;
  worktree: string;
  swept?: string[];
}

describe('gt sling at the same time', () => {
  it('five slings to one rig and three to another at once: all succeed, each polecat once, each bead hooked to its own', async () => {
    const town = newTown('gt-sling5-', [['alpha', 'al'], ['beta', 'be']]);
    const jobs = [...Array.from({ length: 5 }, (_, i) => ['alpha', task(town, 'alpha', `a${i}`)]), ...Array.from({ length: 3 }, (_, i) => ['beta', task(town, 'beta', `b${i}`)])] as [string, string][];
    const results = await Promise.all(jobs.map(([rig, id]) => sling(town, id, rig).done));
    expect(results.map((r) => [r.code, r.out.includes('"address"') ? '' : r.out])).toEqual(jobs.map(() => [0, '']));
    const slung = results.map((r) => JSON.parse(r.out) as Slung);
    expect(new Set(slung.map((s) => s.address)).size).toBe(8);
    for (const [i, [rig, id]] of jobs.entries()) {
      expect(slung[i]!.address.startsWith(`${rig}/polecats/`)).toBe(true);
      expect(bdJson<{ assignee: string; status: string }[]>(town, ['show', id])[0]).toMatchObject({ assignee: slung[i]!.address, status: 'hooked' });
    }
  });

  it('a sling SIGKILLed while it holds the sling lock: the next sling neither waits for it nor fails', async () => {
    const town = newTown('gt-sling-kill-', [['alpha', 'al']]);
    const first = task(town, 'alpha', 'first');
    const lock = join(town, '.gt', 'locks', 'sling-alpha.lock');
    const a = sling(town, first, 'alpha');
    await waitFor(() => existsSync(lock) && readFileSync(lock, 'utf8').startsWith(`${a.child.pid} `), 'the sling to hold the lock');
    a.child.kill('SIGKILL');
    await a.done;
    const second = task(town, 'alpha', 'second');
    const b = await sling(town, second, 'alpha').done;
    expect([b.code, b.out.includes('"address"') ? '' : b.out]).toEqual([0, '']);
    const slung = JSON.parse(b.out) as Slung;
    expect(bdJson<{ assignee: string; status: string }[]>(town, ['show', second])[0]).toMatchObject({ assignee: slung.address, status: 'hooked' });
    // the killed sling's bead is still free to sling
    expect(bdJson<{ status: string }[]>(town, ['show', first])[0]!.status).toBe('open');
    const again = await sling(town, first, 'alpha').done;
    expect([again.code, again.out.includes('"address"') ? '' : again.out]).toEqual([0, '']);
  });
  it('a sling SIGKILLed in its setup, after making its worktree and branch: a sling meanwhile leaves it, the next one removes both and takes the name again', async () => {
    const town = newTown('gt-sling-left-', [['alpha', 'al']]);
    const base = dirname(town);
    const clone = join(town, 'alpha', 'main');
    const hold = join(base, 'hold');
    writeFileSync(hold, '');
    // the setup says it started (outside the worktree, which stays clean), then waits while the hold is there
    const setup = [{ run: `touch "${base}/started-$GT_POLECAT"; while [ -e "${hold}" ]; do sleep 0.1; done`, timeout: '300s' }];
    expect(gt(town, ['rig', 'settings', 'alpha', 'setup', JSON.stringify(setup)]).code).toBe(0);
    const [first, second, third] = ['first', 'second', 'third'].map((t) => task(town, 'alpha', t));
    const a = sling(town, first!, 'alpha');
    await waitFor(() => existsSync(join(base, 'started-nux')), 'the first sling in its setup');
    // a sling while the first is in its setup (its worktree made, nothing hooked): nux is not a leftover
    const b = sling(town, second!, 'alpha');
    await waitFor(() => existsSync(join(base, 'started-slit')), 'the second sling in its setup');
    a.child.kill('SIGKILL');
    await a.done;
    rmSync(hold);
    const rb = await b.done;
    expect([rb.code, rb.out.includes('"address"') ? '' : rb.out]).toEqual([0, '']);
    expect(JSON.parse(rb.out)).toMatchObject({ polecat: 'slit' });
    expect((JSON.parse(rb.out) as Slung).swept).toBeUndefined();
    const nux = join(town, 'alpha', 'polecats', 'nux');
    expect(existsSync(nux)).toBe(true);
    const nuxBranch = git(clone, 'rev-parse', '--verify', 'refs/heads/polecat/nux').trim();
    expect(nuxBranch).toBe(git(nux, 'rev-parse', 'HEAD').trim());
    expect(bdJson<{ status: string; assignee?: string }[]>(town, ['show', first!])[0]).toMatchObject({ status: 'open' });

    // the killed sling's worktree and branch: nothing hooked, no session, no sling, no commits: the next sling removes them
    const rc = await sling(town, third!, 'alpha').done;
    expect([rc.code, rc.out.includes('"address"') ? '' : rc.out]).toEqual([0, '']);
    const c = JSON.parse(rc.out) as Slung;
    expect(c).toMatchObject({ polecat: 'nux', swept: ['alpha/polecats/nux'] });
    expect(bdJson<{ assignee: string; status: string }[]>(town, ['show', third!])[0]).toMatchObject({ assignee: c.address, status: 'hooked' });
    expect(bdJson<{ assignee: string; status: string }[]>(town, ['show', second!])[0]).toMatchObject({ assignee: 'alpha/polecats/slit', status: 'hooked' });
    expect(git(clone, 'worktree', 'list', '--porcelain').match(/^worktree .*\/polecats\/.*$/gm)).toEqual([`worktree ${nux}`, `worktree ${join(town, 'alpha', 'polecats', 'slit')}`]);
    // the first bead is slung again, to a name of its own
    const again = await sling(town, first!, 'alpha').done;
    expect([again.code, again.out.includes('"address"') ? '' : again.out]).toEqual([0, '']);
    expect(JSON.parse(again.out)).toMatchObject({ polecat: 'furiosa' });
  });
});
