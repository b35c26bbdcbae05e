// gt dashboard end to end, in a real pseudo-terminal read through a terminal emulator, against a real town whose
// agents are scripted: the dashboard starts on the alternate screen; a ready bead is slung from it (s, y); the
// polecat's progress shows in Agents, and its merge request in the Merge queue and, landed, in Activity; a shows
// the polecat's tmux session and C-b d comes back to the dashboard as it was; q quits and the terminal is as it
// was before: the normal screen with what it showed, the cursor shown, the tty's modes unchanged.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GT, bd, bdJson, git, gt, gtJson } from './helpers.js';
import { Vt } from './vt.js';

const bases: string[] = [];
const towns: string[] = [];
const terms: Vt[] = [];
afterEach(() => {
  for (const t of terms.splice(0)) t.kill();
  for (const town of towns.splice(0)) gt(town, ['down']);
  for (const base of bases.splice(0)) rmSync(base, { recursive: true, force: true });
});

const scripted = { GT_RUNTIME: 'scripted', BD_ACTOR: 'overseer' };

/**
 * A running town (gt up: mayor, witness, refinery; scripted) with rig alpha cloned from a bare remote. Molecule
 * `two`: step first writes a file; step second waits for the `go` file, so the polecat holds at one step of two
 * until the test lets it go. Its gate passes.
 */
function runningTown(): { base: string; dir: string; remote: string; go: string } {
  const base = mkdtempSync(join(tmpdir(), 'gt-dashpty-'));
  bases.push(base);
  const go = join(base, 'go');
  const src = join(base, 'alpha-src');
  git(base, 'init', '-q', '-b', 'main', src);
  writeFileSync(join(src, 'README'), 'alpha\n');
  bd(src, ['init', '--prefix', 'al']);
  mkdirSync(join(src, 'molecules'));
  writeFileSync(
    join(src, 'molecules', 'two.md'),
    ['## Molecule: two', 'Two steps.', '', '## Step: first', '```sh', 'echo first > "first-$GT_POLECAT.txt"', '```', '', '## Step: second', '```sh', `while [ ! -e '${go}' ]; do sleep 0.2; done`, 'echo second > "second-$GT_POLECAT.txt"', '```', 'Needs: first', ''].join('\n'),
  );
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'start');
  const remote = join(base, 'alpha.git');
  git(base, 'clone', '-q', '--bare', src, remote);
  const dir = join(base, 'town');
  gt(base, ['install', dir]);
  towns.push(dir);
  gtJson(dir, ['rig', 'add', 'alpha', remote]);
  for (const [key, value] of Object.entries({ spawn_grace: '1s', stall_after: '1h', gates: '["true"]' })) {
    const r = gt(dir, ['rig', 'settings', 'alpha', key, value]);
    if (r.code !== 0) throw new Error(`gt rig settings alpha ${key} ${value}: ${r.stderr}`);
  }
  const up = gt(dir, ['up', '--no-daemon'], scripted);
  if (up.code !== 0) throw new Error(`gt up: ${up.stdout}${up.stderr}`);
  return { base, dir, remote, go };
}

/** The pane's row that holds `text`, or ''. */
const rowWith = (screen: string, text: string): string => screen.split('\n').find((l) => l.includes(text)) ?? '';

describe('gt dashboard in a terminal', () => {
  it('slings from the screen, shows the polecat working and its work landing, attaches and comes back, and quits leaving the terminal as it was', async () => {
    const t = runningTown();
    const bead = bdJson<{ id: string }>(join(t.dir, 'alpha', 'main'), ['create', 'Write two files', '-l', 'molecule:two', '--json']).id;
    // a shell that prints a line and the tty's modes, runs the dashboard, then prints the modes again
    const script = join(t.base, 'run.sh');
    writeFileSync(script, [`echo "before the dashboard"`, `stty -g > '${t.base}/stty-before'`, `'${process.execPath}' '${GT}' dashboard`, `echo "dashboard exited $?"`, `stty -g > '${t.base}/stty-after'`, `echo "after the dashboard"`, `read line`, ''].join('\n'));
    const { GT_AGENT: _a, BEADS_DIR: _b, ...env } = process.env;
    const vt = new Vt('/bin/sh', [script], { cwd: t.dir, env: { ...env, ...scripted, PATH: `${join(t.dir, '.gt', 'bin')}:${process.env.PATH}` } });
    terms.push(vt);

    // 1. up, on the alternate screen: the panes, the town's agents, the ready bead in Work
    await vt.until((s) => /Merge queue/.test(s) && /Activity/.test(s) && s.includes(bead), 'the dashboard with the bead in Work');
    expect(vt.buffer()).toBe('alternate');
    expect(vt.text()).not.toContain('before the dashboard');
    expect(vt.text()).toMatch(new RegExp(`${bead} +alpha +P2 ready +Write two files`));

    // 2. sling it: Work is pane 3; the bead is its only row; s asks, y does it
    vt.write('3s');
    await vt.until((s) => /Sling \S+ \(Write two files\) to a new polecat in alpha\?/.test(s), 'the sling confirmation');
    vt.write('y');
    await vt.until((s) => new RegExp(`slung ${bead} to alpha/polecats/\\w+`).test(s), 'the sling done');
    const polecat = new RegExp(`slung ${bead} to (alpha/polecats/\\w+)`).exec(vt.text())![1]!;
    const name = polecat.split('/').pop()!;

    // 3. the polecat works: in Agents, on the bead at step second with one of two closed; the bead in progress
    await vt.until((s) => /second/.test(rowWith(s, name)) && /1\/2/.test(rowWith(s, name)), `${polecat} at step second, 1/2 closed`);
    expect(rowWith(vt.text(), name)).toMatch(new RegExp(`working +${bead} .*1/2 +second`));
    expect(vt.text()).toMatch(new RegExp(`${bead} +alpha +P2 in progress +Write two files +${polecat}`));

    // 4. attach to it (Agents is pane 2; select its row) and come back with C-b d
    vt.write('2');
    await vt.until((s) => /▶2 Agents/.test(s), 'Agents focused');
    for (let i = 0; i < 10 && !rowWith(vt.text(), '›').includes(name); i++) {
      const was = rowWith(vt.text(), '›');
      vt.write('j');
      await vt.until((s) => rowWith(s, '›') !== was, 'the selection to move down');
    }
    expect(rowWith(vt.text(), '›')).toContain(name);
    vt.write('a');
    // tmux has the terminal: its status line names the session
    // tmux has the terminal once its status line is drawn (the session's lines may come first): then C-b d is its
    await vt.until((s) => !/Merge queue/.test(s) && s.includes(name) && /^\[gt-/m.test(s), `tmux showing ${polecat}'s session`);
    vt.write('\x02d');
    await vt.until((s) => /Merge queue/.test(s) && s.includes(`back from ${polecat}`), 'the dashboard again');
    expect(vt.buffer()).toBe('alternate');

    // 5. let the polecat finish: gt done files its merge request; the refinery lands it; Activity says merged
    writeFileSync(t.go, '');
    await vt.until((s) => new RegExp(`merged +alpha +alpha/refinery +al-\\w+ polecat/${name} 'Write two files'`).test(s), 'the merge in Activity', 120_000);
    expect(git(t.base, '--git-dir', t.remote, 'show', 'main:second-' + name + '.txt').trim()).toBe('second');

    // 6. quit: the normal screen is back with what it showed, the cursor shown, the tty's modes as before
    vt.write('q');
    await vt.until((s) => s.includes('after the dashboard'), 'the shell after the dashboard');
    expect(vt.text()).toContain('dashboard exited 0');
    expect(vt.buffer()).toBe('normal');
    expect(vt.text()).toMatch(/^before the dashboard$/m);
    expect(vt.text()).not.toMatch(/Merge queue|Activity/);
    expect(vt.cursorShown()).toBe(true);
    expect(readFileSync(join(t.base, 'stty-after'), 'utf8')).toBe(readFileSync(join(t.base, 'stty-before'), 'utf8'));
    vt.write('\r');
    expect(await vt.exited()).toBe(0);
  }, 240_000);

  it.each(['SIGTERM', 'SIGHUP'] as const)('killed by %s, it leaves the alternate screen and shows the cursor before it goes', async (signal) => {
    const base = mkdtempSync(join(tmpdir(), 'gt-dashpty-'));
    bases.push(base);
    const dir = join(base, 'town');
    gt(base, ['install', dir]);
    const script = join(base, 'run.sh');
    writeFileSync(script, [`echo "before the dashboard"`, `stty -g > '${base}/stty-before'`, `'${process.execPath}' '${GT}' dashboard`, `echo "dashboard exited $?"`, `stty -g > '${base}/stty-after'`, `echo "after the dashboard"`, `read line`, ''].join('\n'));
    const vt = new Vt('/bin/sh', [script], { cwd: dir, env: process.env });
    terms.push(vt);
    await vt.until((s) => /Activity/.test(s), 'the dashboard');
    const child = execFileSync('pgrep', ['-P', String(vt.pty.pid)], { encoding: 'utf8' }).trim();
    process.kill(Number(child), signal);
    await vt.until((s) => /^after the dashboard$/m.test(s), 'the shell after the dashboard');
    expect(/dashboard exited (\d+)/.exec(vt.text())![1]).toBe(String(128 + (signal === 'SIGTERM' ? 15 : 1)));
    expect(vt.buffer()).toBe('normal');
    expect(vt.text()).toMatch(/^before the dashboard$/m);
    expect(vt.cursorShown()).toBe(true);
    expect(readFileSync(join(base, 'stty-after'), 'utf8')).toBe(readFileSync(join(base, 'stty-before'), 'utf8'));
  }, 60_000);
});
