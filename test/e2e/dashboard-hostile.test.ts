// A hostile pass over gt dashboard and gt feed: text in a store that is not what bd would write (another clone's
// segment brought by a git pull can hold anything), wide characters, a terminal resized under the screen, a
// store changed under it, and output that must stay what it promises. Each test states what should hold; a
// failing one is a defect found (see the report on branch h-hostile).
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GT, bd, bdJson, git, gt, gtJson } from './helpers.js';
import { testTowns } from './town-harness.js';
import { Vt } from './vt.js';

const terms: Vt[] = [];
afterEach(() => {
  for (const t of terms.splice(0)) t.kill();
});

const newTown = testTowns('dashhostile');

/** A town (not up: no agents running) with rig alpha, added from a bare remote; the town and the rig's clone. */
function town(): { base: string; dir: string; rig: string } {
  const t = newTown({ bareRemote: true });
  return { base: t.base, dir: t.town, rig: t.clone };
}

/**
 * Operations as another clone's segment holds them (a file of its own in the store's log), written as a git pull
 * would bring them: bd refuses control characters, but the log is plain JSON Lines anyone can push.
 */
function foreignSegment(rig: string, name: string, ops: { bead: string; title: string; actor?: string }[]): void {
  const log = join(rig, '.beads', 'log');
  mkdirSync(log, { recursive: true });
  const lines = ops.map((o, i) => JSON.stringify({ op_id: `foreign${name}${String(i).padStart(6, '0')}`, bead: o.bead, kind: 'create', actor: o.actor ?? 'overseer', ts: new Date().toISOString(), lc: 1000 + i, fields: { title: o.title } }));
  writeFileSync(join(log, `000099-${name}.jsonl`), lines.join('\n') + '\n');
}

const env = (): NodeJS.ProcessEnv => {
  const { GT_AGENT: _a, BEADS_DIR: _b, GT_TOWN: _t, ...rest } = process.env;
  return { ...rest, BD_ACTOR: 'overseer' };
};

function dashboard(dir: string, cols = 100, rows = 30, args: string[] = [], extra: NodeJS.ProcessEnv = {}): Vt {
  const vt = new Vt(process.execPath, [GT, 'dashboard', ...args], { cwd: dir, env: { ...env(), ...extra }, cols, rows });
  terms.push(vt);
  return vt;
}

/** The dashboard at 100x30 with Agents focused and the mayor selected. */
async function onTheMayor(dir: string): Promise<Vt> {
  const vt = dashboard(dir, 100, 30);
  await vt.until((s) => /Activity/.test(s) && /mayor/.test(s), 'the dashboard');
  vt.write('2');
  await vt.until((s) => /▶2 Agents/.test(s) && /›. mayor/.test(s), 'the mayor selected');
  return vt;
}

/** The C1 control characters (U+0080-U+009F) in a text: a terminal takes U+009B as CSI and U+009D as OSC. */
const c1 = (text: string): string[] => [...text].filter((c) => c >= '\u0080' && c <= '\u009f').map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`);

describe('gt dashboard: text from the store never reaches the terminal as control sequences', () => {
  it('a bead title and an actor holding C1 controls (OSC 0 sets the window title, OSC 52 writes the clipboard) are shown inert', async () => {
    const t = town();
    foreignSegment(t.rig, 'evil0001', [
      { bead: 'al-evil0001', title: 'title \u009d0;HACKED\u009c here' },
      { bead: 'al-evil0002', title: '\u009d52;c;cm0gLXJmIH4=\u009cclip' },
      { bead: 'al-evil0003', title: 'csi \u009b2J\u009b1;1Hgone', actor: 'mallory\u009b41m' },
    ]);
    const vt = dashboard(t.dir, 120, 40);
    const osc: string[] = [];
    for (const id of [0, 2, 52]) vt.term.parser.registerOscHandler(id, (data) => (osc.push(`${id};${data}`), true));
    await vt.until((s) => /Activity/.test(s) && s.includes('al-evil0003'), 'the dashboard with the foreign beads');
    vt.write('3');
    await vt.until((s) => /▶3 Work/.test(s), 'Work focused');
    expect(osc).toEqual([]);
    expect(c1(vt.raw)).toEqual([]);
    vt.write('q');
    expect(await vt.exited()).toBe(0);
  }, 180_000);

  it('gt dashboard --once prints no C1 control either (gt feed and bd list escape them)', () => {
    const t = town();
    foreignSegment(t.rig, 'evil0002', [{ bead: 'al-evil0001', title: 'title \u009d0;HACKED\u009c here' }]);
    const once = gt(t.dir, ['dashboard', '--once']);
    expect(once.code).toBe(0);
    expect(once.stdout).toContain('al-evil0001');
    const feed = gt(t.dir, ['feed']);
    expect(c1(feed.stdout)).toEqual([]);
    expect(c1(once.stdout)).toEqual([]);
  }, 180_000);
});

describe('gt dashboard: the screen holds its shape', () => {
  it('a bead title in wide characters (CJK, emoji) does not push the screen out of shape at 80x24', async () => {
    const t = town();
    bd(t.rig, ['create', 'ordinary bead']);
    bd(t.rig, ['create', '宽字符的标题很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长']);
    bd(t.rig, ['create', '表情 🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥']);
    const vt = dashboard(t.dir, 80, 24);
    // every line a person expects: the header, each pane's title, the footer
    await vt.until((s) => /^Gas Town /m.test(s) && /^ ?.?3 Work/m.test(s) && /6 Activity/.test(s) && /\? help/.test(s), 'the whole screen: header, panes and footer', 60_000);
    const wrapped = vt.screen().filter((l) => /^[\u4e00-\u9fff🔥']/u.test(l));
    expect(wrapped).toEqual([]); // no row wrapped onto a line of its own
  }, 180_000);
});

/** The screen's line that holds `text`, or ''. */
const lineWith = (vt: Vt, text: string | RegExp): string => vt.screen().find((l) => (typeof text === 'string' ? l.includes(text) : text.test(l))) ?? '';

describe('gt dashboard: live', () => {
  it('the Activity pane keeps showing the newest events as they arrive (it is not focused, nothing was moved)', async () => {
    const t = town();
    bd(t.rig, ['create', 'the first bead']);
    const vt = dashboard(t.dir, 80, 24);
    await vt.until((s) => /6 Activity +1 event\b/.test(s) && s.includes("'the first bead'"), 'the dashboard with one event');
    for (let i = 1; i <= 6; i++) bd(t.rig, ['create', `newer bead ${i}`]);
    await vt.until((s) => /6 Activity +7 events/.test(s), 'the seven events counted');
    // Activity is the feed, newest first: its first row is the newest event
    const activity = vt.screen().slice(vt.screen().findIndex((l) => /6 Activity/.test(l)) + 1).join('\n');
    expect(activity).toContain("'newer bead 6'");
    expect(lineWith(vt, /6 Activity/)).not.toMatch(/\[6-7 of 7\]/);
  }, 180_000);

  it('keys pressed while the screen is too small to draw do nothing unseen (m on unread mail marks it read)', async () => {
    const t = town();
    const sent = gt(t.dir, ['mail', 'send', 'overseer', '-s', 'a letter', '-m', 'body', '--json'], { BD_ACTOR: 'overseer' });
    expect(sent.code).toBe(0);
    const vt = dashboard(t.dir, 100, 30);
    await vt.until((s) => /5 Mail +1 unread/.test(s), 'the unread letter');
    vt.pty.resize(79, 24);
    vt.term.resize(79, 24);
    await vt.until((s) => /needs a terminal of at least 80x24/.test(s), 'the too-small notice');
    vt.write('5m'); // Mail, then m: read the selected message
    // the keys read (the notice says they were ignored) before the terminal grows: else the resize may come first
    await vt.until((s) => /keys are ignored until the terminal is larger/.test(s), 'the keys taken and ignored');
    vt.pty.resize(100, 30);
    vt.term.resize(100, 30);
    await vt.until((s) => /Activity|esc: back/.test(s), 'the screen drawn again');
    expect(vt.text()).not.toMatch(/esc: back/); // no detail view opened behind the notice
    expect(vt.text()).toMatch(/5 Mail +1 unread/);
    const inbox = JSON.parse(gt(t.dir, ['mail', 'inbox', '--json'], { BD_ACTOR: 'overseer' }).stdout) as { read?: boolean }[] | { messages: { read: boolean }[] };
    const messages = Array.isArray(inbox) ? inbox : inbox.messages;
    expect(messages.map((m) => m.read)).toEqual([false]);
  }, 180_000);
  it('enter on an Activity row opens its event and bead (not "gone")', async () => {
    const t = town();
    bd(t.rig, ['create', 'an eventful bead']);
    const vt = dashboard(t.dir, 100, 30);
    await vt.until((s) => s.includes("'an eventful bead'"), 'the event in Activity');
    vt.write('6');
    await vt.until((s) => /▶6 Activity/.test(s), 'Activity focused');
    vt.write('\r');
    await vt.until((s) => /Activity: .*\(esc: back\)/.test(s) && !/loading…/.test(s), 'the detail view');
    expect(vt.text()).not.toMatch(/^gone$/m);
    expect(vt.text()).toMatch(/created/);
    expect(vt.text()).toMatch(/History/);
  }, 180_000);

  it('a rig added while it runs shows: in the header, its agents and its work (its events already do)', async () => {
    const t = town();
    const vt = dashboard(t.dir, 100, 34);
    await vt.until((s) => /Activity/.test(s) && /rigs alpha /.test(s), 'the dashboard with rig alpha');
    const src = join(t.base, 'beta-src');
    git(t.base, 'init', '-q', '-b', 'main', src);
    writeFileSync(join(src, 'README'), 'beta\n');
    bd(src, ['init', '--prefix', 'be']);
    git(src, 'add', '-A');
    git(src, 'commit', '-qm', 'start');
    git(t.base, 'clone', '-q', '--bare', src, join(t.base, 'beta.git'));
    gtJson(t.dir, ['rig', 'add', 'beta', join(t.base, 'beta.git')]);
    const bead = bdJson<{ id: string }>(join(t.dir, 'beta', 'main'), ['create', 'a beta bead']).id;
    await vt.until((s) => s.includes(`${bead} 'a beta bead'`), 'the beta event in Activity');
    await vt.until((s) => /rigs alpha, beta/.test(s) && new RegExp(`${bead} +beta +P2 ready`).test(s) && /beta\/witness/.test(s), 'rig beta in the header, Work and Agents', 60_000);
  }, 180_000);
  it('a rig removed while it runs (gt rig remove) leaves the screen, and the other rigs keep refreshing', async () => {
    const t = town();
    const src = join(t.base, 'beta-src');
    git(t.base, 'init', '-q', '-b', 'main', src);
    writeFileSync(join(src, 'README'), 'beta\n');
    bd(src, ['init', '--prefix', 'be']);
    git(src, 'add', '-A');
    git(src, 'commit', '-qm', 'start');
    git(t.base, 'clone', '-q', '--bare', src, join(t.base, 'beta.git'));
    gtJson(t.dir, ['rig', 'add', 'beta', join(t.base, 'beta.git')]);
    bd(join(t.dir, 'beta', 'main'), ['create', 'a beta bead']);
    const vt = dashboard(t.dir, 100, 34);
    await vt.until((s) => /Activity/.test(s) && /rigs alpha, beta/.test(s) && s.includes('a beta bead'), 'the dashboard with both rigs');
    const removed = gt(t.dir, ['rig', 'remove', 'beta', '--force']);
    expect(removed.code).toBe(0);
    const bead = bdJson<{ id: string }>(t.rig, ['create', 'alpha goes on']).id;
    await vt.until((s) => s.includes(bead), "alpha's new bead on the screen", 60_000);
    expect(vt.text()).not.toMatch(/refresh failed/);
    expect(vt.text()).not.toMatch(/beta\/witness/);
  }, 180_000);
});

describe('gt dashboard: a store gone under the screen', () => {
  it("a rig's .beads/ deleted while it runs is a Problem naming the rig, its rows kept; back, the problem goes and new beads show", async () => {
    const t = town();
    const before = bdJson<{ id: string }>(t.rig, ['create', 'made before']).id;
    const store = join(t.rig, '.beads');
    const saved = join(t.base, 'saved-beads');
    cpSync(store, saved, { recursive: true });
    const vt = dashboard(t.dir, 100, 34);
    await vt.until((s) => /Activity/.test(s) && s.includes(before), 'the dashboard with the bead');
    rmSync(store, { recursive: true, force: true });
    await vt.until((s) => /store\s+alpha\s+store gone: no bead store at /.test(s), 'a Problem naming the rig and its store gone', 60_000);
    expect(vt.text()).toContain(before); // the rig's last rows, kept (the problem says as of when)
    expect(vt.text()).not.toMatch(/refresh failed/);
    cpSync(saved, store, { recursive: true });
    const after = bdJson<{ id: string }>(t.rig, ['create', 'made after']).id;
    await vt.until((s) => s.includes(after) && !/store gone/.test(s), 'the new bead, and the problem gone', 60_000);
  }, 180_000);
});

describe('gt dashboard: a store locked by another process', () => {
  it('opens at once with the locked rig as a busy Problem (not a blank screen for 30 s), and reads it once the lock is let go', async () => {
    const t = town();
    bd(t.rig, ['create', 'a bead']);
    // another clone's segment, pulled: the log has gained what the cache has not, so a read must take the lock
    foreignSegment(t.rig, 'pulled01', [{ bead: 'al-pulled1', title: 'from another clone' }]);
    const holder = spawn('sleep', ['120'], { stdio: 'ignore' });
    const lock = join(t.rig, '.beads', 'lock');
    try {
      writeFileSync(lock, `${holder.pid} ${hostname()} held-by-test\n`);
      const vt = dashboard(t.dir, 100, 34);
      await vt.until((s) => /Activity/.test(s) && /store\s+alpha\s+busy: locked by process \d+/.test(s), 'the screen, alpha busy', 60_000);
      rmSync(lock);
      await vt.until((s) => s.includes('from another clone') && !/busy: locked/.test(s), 'the pulled bead, once the lock is let go', 60_000);
    } finally {
      holder.kill();
    }
  }, 180_000);
});

describe('gt dashboard: keys', () => {
  it('k scrolls the help back up at once after j went past its end', async () => {
    const t = town();
    const vt = dashboard(t.dir, 80, 24);
    await vt.until((s) => /Activity/.test(s), 'the dashboard');
    vt.write('?');
    await vt.until((s) => /j\/k: scroll \(1-\d+ of \d+\)/.test(s), 'the help, scrollable');
    const total = Number(/of (\d+)\)/.exec(vt.text())![1]);
    vt.write('j'.repeat(total * 2)); // well past the end
    await vt.until((s) => new RegExp(`-${total} of ${total}\\)`).test(s), 'the help at its end');
    const atEnd = /scroll \((\d+)-/.exec(vt.text())![1];
    vt.write('k');
    await vt.until((s) => /scroll \((\d+)-/.exec(s)![1] !== atEnd, 'one k to scroll up one line', 60_000);
  }, 180_000);

  it('a nudge whose text starts with a dash is sent as text, not read as an option (--help told "nudged")', async () => {
    // (the waits below are short: a hang here is a failure with the screen shown, not a test timeout)
    const t = town(); // not up: the mayor has no session, so a nudge must fail and say so
    const vt = await onTheMayor(t.dir);
    vt.write('n');
    await vt.until((s) => /Nudge mayor:/.test(s), 'the nudge prompt');
    vt.write('--help');
    vt.write('\r');
    await vt.until((s) => /Nudge mayor with "--help"\?/.test(s), 'the question', 60_000);
    vt.write('y');
    await vt.until((s) => /nudged mayor|nudge failed/.test(s), 'the nudge answered', 60_000);
    expect(lineWith(vt, /nudged mayor|nudge failed/)).toMatch(/nudge failed: mayor has no session/);
  }, 180_000);

  it('attaching to an agent whose session is gone says so, not "back from"', async () => {
    const t = town();
    const vt = await onTheMayor(t.dir);
    vt.write('a');
    await vt.until((s) => /back from mayor|attach failed|no session/.test(s) && /Activity/.test(s), 'the dashboard again');
    expect(vt.text()).not.toMatch(/back from mayor/);
  }, 180_000);

  it('a long filter keeps the header on its two lines', async () => {
    const t = town();
    const vt = dashboard(t.dir, 80, 24);
    await vt.until((s) => /Activity/.test(s), 'the dashboard');
    vt.write('/' + 'x'.repeat(120));
    await vt.until((s) => /^\/…?x+▏/m.test(s), "the filter typed, its end in sight");
    expect(vt.screen()[1]).toMatch(/working/); // the counts line is still the second
    expect(vt.screen()[2]).toMatch(/Problems|Agents/);
  }, 180_000);
});

describe('gt dashboard: reading', () => {
  it("a bead's detail view shows the whole of a long description, not its first line cut", async () => {
    const t = town();
    const description = `${'word '.repeat(60)}THE-END`;
    bd(t.rig, ['create', 'described', '-d', description]);
    const vt = dashboard(t.dir, 100, 30);
    await vt.until((s) => /Activity/.test(s) && s.includes('described'), 'the dashboard');
    vt.write('3');
    await vt.until((s) => /▶3 Work/.test(s), 'Work focused');
    vt.write('\r');
    await vt.until((s) => /Work: .*\(esc: back\)/.test(s) && /History/.test(s), 'the detail view');
    expect(vt.text()).toContain('THE-END');
  }, 180_000);

  it('text pasted into the nudge prompt keeps its words apart where it had a newline or a tab', async () => {
    const t = town();
    const vt = await onTheMayor(t.dir);
    vt.write('n');
    await vt.until((s) => /Nudge mayor:/.test(s), 'the nudge prompt');
    vt.write('first line\rsecond\tthird');
    await vt.until((s) => /Nudge mayor: .*third/.test(s), 'the pasted text');
    expect(lineWith(vt, 'Nudge mayor:')).toMatch(/Nudge mayor: first line second third/);
  }, 180_000);
});

describe('gt dashboard: leaving', () => {
  it('killed by SIGINT (kill -INT, a supervisor), it leaves the alternate screen as SIGTERM does', async () => {
    const t = town();
    const script = join(t.base, 'run.sh');
    writeFileSync(script, ['echo "before the dashboard"', `'${process.execPath}' '${GT}' dashboard`, 'echo "dashboard exited $?"', 'read line', ''].join('\n'));
    const vt = new Vt('/bin/sh', [script], { cwd: t.dir, env: env() });
    terms.push(vt);
    await vt.until((s) => /Activity/.test(s), 'the dashboard');
    const child = spawnSync('pgrep', ['-P', String(vt.pty.pid)], { encoding: 'utf8' }).stdout.trim();
    process.kill(Number(child), 'SIGINT');
    await vt.until((s) => /dashboard exited \d+/.test(s), 'the shell after the dashboard');
    expect(vt.buffer()).toBe('normal');
    expect(vt.text()).toMatch(/^before the dashboard$/m);
  }, 180_000);
});

describe('gt dashboard: refusing a town it cannot read', () => {
  it('in a terminal, a rig whose log has a corrupt line is one clear line and exit 6, as with --once (not an internal error)', async () => {
    const t = town();
    bd(t.rig, ['create', 'a bead']);
    const log = join(t.rig, '.beads', 'log');
    writeFileSync(join(log, '000099-garbage1.jsonl'), 'garbage\n');
    const once = gt(t.dir, ['dashboard', '--once']);
    expect(once.code).toBe(6);
    const vt = dashboard(t.dir, 100, 30);
    const code = await vt.exited();
    expect(vt.text()).not.toMatch(/internal error|please report/);
    expect(vt.text()).toMatch(/corrupt line in the bead log/);
    expect(code).toBe(6);
  }, 180_000);
});

describe('gt feed and gt dashboard: bad input is one clear line', () => {
  it.each([
    ['town.json cut short', 'town.json', '{"name": "town", "form'],
    ['town.json empty', 'town.json', ''],
    ['rigs.json cut short', 'rigs.json', '{"rigs": ['],
  ])('%s: a user-facing error naming the file, not an internal error with a stack', (_what, file, text) => {
    const t = town();
    writeFileSync(join(t.dir, file), text);
    for (const args of [['feed'], ['dashboard', '--once']]) {
      const r = gt(t.dir, args);
      expect(r.stdout).toBe('');
      expect(r.code).not.toBe(1);
      expect(r.stderr).not.toMatch(/internal error|please report|\n\s+at /);
      expect(r.stderr).toContain(file);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 180_000);

  it('gt feed --json keeps its contract when a value looks like flags (--since -1h reads as -1 -h: help text, exit 0)', () => {
    const t = town();
    const r = gt(t.dir, ['feed', '--since', '-1h', '--json']);
    expect(r.code).not.toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  }, 180_000);
});

describe('gt dashboard: its reader thread', () => {
  const up: string[] = [];
  afterEach(() => {
    for (const dir of up.splice(0)) gt(dir, ['down']);
  });

  it('refreshes again once the town reads again, after its reader failed to start (rigs.json cut short while attached)', async () => {
    const t = town();
    const scripted = { GT_RUNTIME: 'scripted', BD_ACTOR: 'overseer' };
    const started = gt(t.dir, ['up', '--no-daemon'], scripted);
    expect(started.code).toBe(0);
    up.push(t.dir);
    const vt = dashboard(t.dir, 100, 30, [], scripted);
    await vt.until((s) => /Activity/.test(s) && /○ mayor/.test(s), 'the dashboard with the mayor up');
    vt.write('2');
    await vt.until((s) => /▶2 Agents/.test(s) && /›. mayor/.test(s), 'the mayor selected');
    vt.write('a');
    await vt.until((s) => !/Merge queue/.test(s) && /waiting for a nudge/.test(s) && /\[gt-/.test(s), "tmux showing the mayor's session");
    // while tmux has the terminal, the town's registry is caught half-written
    const rigs = join(t.dir, 'rigs.json');
    const kept = readFileSync(rigs, 'utf8');
    writeFileSync(rigs, '{"rigs": [');
    vt.write('\x02d');
    await vt.until((s) => /Merge queue/.test(s) && /refresh failed/.test(s), 'the dashboard again, its first refresh failing');
    writeFileSync(rigs, kept);
    const bead = bdJson<{ id: string }>(t.rig, ['create', 'made after the registry was whole again']).id;
    await vt.until((s) => s.includes(bead), 'the new bead on the screen', 60_000);
  }, 180_000);
});

describe('gt dashboard inside the user\'s own tmux', () => {
  const servers: string[] = [];
  const up: string[] = [];
  afterEach(() => {
    for (const socket of servers.splice(0)) spawnSync('tmux', ['-L', socket, 'kill-server']);
    for (const dir of up.splice(0)) gt(dir, ['down']);
  });

  it('a, then C-b C-b d as the help says inside tmux, comes back to the dashboard (C-b d would detach the user\'s tmux)', async () => {
    const t = town();
    const scripted = { GT_RUNTIME: 'scripted', BD_ACTOR: 'overseer' };
    expect(gt(t.dir, ['up', '--no-daemon'], scripted).code).toBe(0);
    up.push(t.dir);
    const socket = `gt-hostile-outer-${process.pid}`;
    servers.push(socket);
    const inner = `cd '${t.dir}' && GT_RUNTIME=scripted '${process.execPath}' '${GT}' dashboard; sleep 600`;
    const vt = new Vt('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-s', 'mine', inner], { cwd: t.dir, env: env(), cols: 110, rows: 34 });
    terms.push(vt);
    await vt.until((s) => /Activity/.test(s) && /○ mayor/.test(s), "the dashboard in the user's tmux");
    vt.write('?');
    await vt.until((s) => /inside your own tmux,\s+C-b C-b d/.test(s), 'the help naming the keys inside tmux');
    vt.write('?');
    vt.write('2');
    await vt.until((s) => /▶2 Agents/.test(s) && /›. mayor/.test(s), 'the mayor selected');
    vt.write('a');
    await vt.until((s) => /waiting for a nudge/.test(s) && /\[gt-/.test(s), "the mayor's session, nested");
    vt.write('\x02\x02d');
    await vt.until((s) => /Merge queue|detached \(from session mine\)/.test(s), 'tmux answering C-b C-b d');
    expect(vt.text()).not.toMatch(/\[detached \(from session mine\)\]/);
    expect(vt.text()).toMatch(/back from mayor/);
  }, 180_000);
});
