import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn as ptySpawn } from 'node-pty';
import { ROOT, bdJson, gt, waitFor, type Result } from './helpers.js';

const DEMO = join(ROOT, 'packages', 'cli', 'dist', 'demo.js');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function demo(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DEMO, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' });

/** Pids of processes whose environment mentions the path (agents carry GT_TOWN, BEADS_DIR and their cwd). */
function processesOf(path: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`GT_TOWN=${path}`)) out.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** The socket file of a town's tmux server (named gt-<town name>-<hash of its path>). */
const socketFile = (town: string): string =>
  join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid!()}`, `gt-town-${createHash('sha1').update(town).digest('hex').slice(0, 8)}`);

interface MergeRequest {
  id: string;
  title: string;
  status: string;
  metadata: { merge_request: { branch: string; source_bead: string; worker: string; commit: string; remote: string }; mq: { state: string; merged_commit?: string } };
}

describe('npm start (the town demo)', () => {
  it('--keep (and --dashboard with no terminal): three scripted polecats finish engineer-in-box; the refinery lands all three on main, one after a conflict and a rework; main passes its tests; the town stays up', async () => {
    // --dashboard without a terminal: the plain demo, which says so
    const r = await demo(['--keep', '--dashboard']);
    const town = /^Kept (\S+) \(/m.exec(r.stdout)?.[1];
    if (town) cleanups.push(() => {
      gt(town, ['down']);
      rmSync(dirname(town), { recursive: true, force: true });
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(town).toBeDefined();
    expect(r.stdout.match(/done: merge request \S+ filed for polecat\/\w+/g)).toHaveLength(3);
    // the progress shows the conflict, the rework and every landing
    expect(r.stdout.match(/REWORK \S+: polecat\/\w+ conflicts with main in index\.mjs/g)).toHaveLength(1);
    expect(r.stdout.match(/reworked on main: merge request \S+ filed for polecat\/\w+ \(\w+\), superseding \S+/g)).toHaveLength(1);
    expect(r.stdout.match(/merged: \S+ landed on main in \w+/g)).toHaveLength(3);
    expect(r.stdout).toContain(`cd ${town!} && export PATH="${join(town!, '.gt', 'bin')}:$PATH"`);
    expect(r.stdout).toMatch(/gt attach calc\/polecats\/nux +# the polecat's terminal/);
    expect(r.stdout).toMatch(/^ {2}gt mq list +# the merge queue/m);
    expect(r.stdout).toMatch(/^ {2}gt refinery status +# what the queue holds/m);
    expect(r.stdout).toMatch(/^npm start: --dashboard needs a terminal \(stdin and stdout a TTY\); this is the plain demo$/m);
    expect(r.stdout).toMatch(/^ {2}gt dashboard +# the town live in the terminal/m);
    expect(r.stdout).toContain('== The same demo in the dashboard, live: npm start -- --dashboard');

    const source = join(dirname(town!), 'calc.git');
    expect(git(source, 'rev-parse', '--is-bare-repository').trim()).toBe('true');
    const clone = join(town!, 'calc', 'main');
    // every merge request merged: the queue is empty, the conflicting one was superseded by its rework
    expect(JSON.parse(gt(town!, ['mq', 'list', '--json']).stdout)).toEqual([]);
    const mrs = bdJson<MergeRequest[]>(clone, ['list', '-t', 'merge-request', '--all', '-n', '0']);
    expect(mrs.map((m) => m.metadata.mq.state).sort()).toEqual(['merged', 'merged', 'merged', 'superseded']);
    const merged = mrs.filter((m) => m.metadata.mq.state === 'merged');
    expect(merged.map((m) => m.metadata.merge_request.branch).sort()).toEqual(['polecat/furiosa', 'polecat/nux', 'polecat/slit']);
    const superseded = mrs.find((m) => m.metadata.mq.state === 'superseded')!.metadata.merge_request;
    expect(['polecat/nux', 'polecat/slit']).toContain(superseded.branch); // divide or multiply: the two that touch the same lines
    const inbox = JSON.parse(gt(town!, ['mail', 'inbox', '--to', superseded.worker, '--all', '--json']).stdout) as { subject: string }[];
    expect(inbox.map((m) => m.subject.split(' ')[0])).toEqual(['REWORK', 'MERGED']);

    const log = git(source, 'log', '--format=%s', 'main');
    for (const mr of merged) {
      const meta = mr.metadata.merge_request;
      const bead = bdJson<{ title: string; status: string; close_reason?: string }[]>(clone, ['show', meta.source_bead])[0]!;
      expect(bead).toMatchObject({ status: 'closed', close_reason: `merged in ${mr.metadata.mq.merged_commit}` });
      const fn = /^Add (\w+) to calc$/.exec(bead.title)![1]!;
      // main has the bead's commits (design, implement, test), with the design, the code, the tests and the export
      for (const step of ['design', 'implement', 'test']) expect(log).toContain(`${step} (${meta.source_bead}): ${bead.title}`);
      expect(git(source, 'merge-base', '--is-ancestor', mr.metadata.mq.merged_commit!, 'main')).toBe('');
      const files = git(source, 'ls-tree', '-r', '--name-only', 'main').split('\n');
      expect(files).toEqual(expect.arrayContaining([`docs/${fn}.md`, `${fn}.mjs`, `tests/${fn}.test.mjs`, 'tests/add.test.mjs', '.gastown/settings.json']));
      expect(git(source, 'show', 'main:index.mjs')).toContain(`export { ${fn} } from './${fn}.mjs';`);
    }
    expect(git(source, 'branch', '--list', 'polecat/*').trim()).toBe(''); // landed branches are deleted from the remote
    // the demo printed main's history and the tests it ran on main; they pass on a fresh clone of it
    expect(r.stdout).toContain(`$ git -C ${source} log --oneline --graph main`);
    expect(r.stdout).toMatch(/^ {2}# pass 4\n {2}# fail 0$/m);
    const fresh = join(dirname(town!), 'check-main');
    git(dirname(town!), 'clone', '-q', source, fresh);
    const tests = spawnSync('./test.sh', [], { cwd: fresh, encoding: 'utf8' });
    expect({ code: tests.status, pass: /^# pass (\d+)$/m.exec(tests.stdout)?.[1] }).toEqual({ code: 0, pass: '4' });

    // every molecule is closed, and the town is still running for a person to look at
    const molecules = bdJson<{ status: string }[]>(clone, ['list', '-t', 'molecule', '--all', '-n', '0']);
    expect(molecules.map((m) => m.status)).toEqual(['closed', 'closed', 'closed']);
    const agents = JSON.parse(gt(town!, ['agents', '--json']).stdout) as { address: string; state: string }[];
    expect(agents.map((a) => [a.address, a.state]).sort()).toEqual(
      [['mayor', 'running'], ['calc/witness', 'running'], ['calc/refinery', 'running'], ['calc/polecats/furiosa', 'running'], ['calc/polecats/nux', 'running'], ['calc/polecats/slit', 'running']].sort(),
    );
    expect(existsSync(socketFile(town!))).toBe(true);
  });

  it('--dashboard on a terminal: the work shows in gt dashboard; q leaves it, the demo prints what happened meanwhile, finishes, and removes the town leaving no session, socket or process', async () => {
    // Ink draws only its last frame when CI is set: the child must not see it
    const { CI: _ci, TMUX: _tmux, ...env } = process.env;
    const term = ptySpawn(process.execPath, [DEMO, '--dashboard'], { cols: 100, rows: 30, name: 'xterm-256color', env: { ...env, TERM: 'xterm-256color' } as Record<string, string> });
    let raw = '';
    term.onData((d) => (raw += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    cleanups.push(() => term.kill('SIGKILL'));
    const plain = (): string => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Z0-9]/g, '');
    // the dashboard is up (its panes), then its Activity shows a merge landing
    const screen = async (check: () => boolean, what: string): Promise<void> =>
      waitFor(check, what, 120_000).catch((e: Error) => {
        throw new Error(`${e.message}; the terminal's last output:\n${plain().slice(-3000)}`);
      });
    await screen(() => /Merge queue/.test(plain()) && /Activity/.test(plain()), 'the dashboard');
    await screen(() => /\bmerged\b[^\n]*calc-\w+/.test(plain()), 'a merge in Activity');
    term.write('q');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<number>((r) => (timer = setTimeout(() => r(-1), 150_000)))]);
    clearTimeout(timer);
    const out = plain();
    expect({ code, ...(code ? { out: out.slice(-6000) } : {}) }).toEqual({ code: 0 });
    expect(out).toContain('opening gt dashboard');
    expect(out).toContain('(left the dashboard; what happened meanwhile:)');
    expect(out.match(/done: merge request \S+ filed for polecat\/\w+/g)).toHaveLength(3);
    expect(out.match(/merged: \S+ landed on main in \w+/g)).toHaveLength(3);
    expect(out).toMatch(/# pass 4\r?\n {2}# fail 0/);
    expect(out).not.toContain('npm start -- --dashboard'); // its hint is for the plain demo
    const base = /Stopped every session and removed (\S+) \(/.exec(out)?.[1];
    expect(base).toBeDefined();
    expect(existsSync(base!)).toBe(false);
    expect(processesOf(join(base!, 'town'))).toEqual([]);
    expect(existsSync(socketFile(join(base!, 'town')))).toBe(false); // its tmux server is gone, socket file and all
  });

  it('says what is wrong with bad arguments, or when tmux is missing, and makes nothing', async () => {
    const bad = await demo(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^npm start: unknown argument --bogus\n\nUsage: npm start \[-- \[--keep\] \[--dashboard\]\]/);
    const help = await demo(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--keep +leave the town and its sessions running/);

    const bin = mkdtempSync(join(tmpdir(), 'demo-path-'));
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    mkdirSync(join(bin, 'tools'));
    symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), join(bin, 'tools', 'git'));
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('gastown-demo-'));
    const noTmux = await demo([], { PATH: join(bin, 'tools') });
    expect(noTmux.code).toBe(11);
    expect(noTmux.stderr).toMatch(/tmux is not installed or not on PATH \(the demo runs its agents in tmux\)/);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('gastown-demo-'))).toEqual(before);
  });
});
