import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, bdJson, gt, type Result } from './helpers.js';

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
  metadata: { merge_request: { branch: string; source_bead: string; worker: string; commit: string; remote: string } };
}

describe('npm start (the town demo)', () => {
  it('--keep: three scripted polecats finish engineer-in-box, push their branches and file merge requests; the town stays up to look at', async () => {
    const r = await demo(['--keep']);
    const town = /^Kept (\S+) \(/m.exec(r.stdout)?.[1];
    if (town) cleanups.push(() => {
      gt(town, ['down']);
      rmSync(dirname(town), { recursive: true, force: true });
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(town).toBeDefined();
    expect(r.stdout.match(/done: merge request \S+ filed for polecat\/\w+/g)).toHaveLength(3);
    expect(r.stdout).toContain(`cd ${town!} && export PATH="${join(town!, '.gt', 'bin')}:$PATH"`);
    expect(r.stdout).toMatch(/gt attach calc\/polecats\/nux +# the polecat's terminal/);

    const source = join(dirname(town!), 'calc-src');
    const clone = join(town!, 'calc', 'main');
    const mrs = bdJson<MergeRequest[]>(clone, ['list', '-t', 'merge-request', '-n', '0']);
    expect(mrs.map((m) => m.metadata.merge_request.branch).sort()).toEqual(['polecat/furiosa', 'polecat/nux', 'polecat/slit']);
    for (const mr of mrs) {
      const meta = mr.metadata.merge_request;
      const bead = bdJson<{ title: string; status: string; assignee: string }[]>(clone, ['show', meta.source_bead])[0]!;
      expect(bead).toMatchObject({ status: 'hooked', assignee: meta.worker });
      const fn = /^Add (\w+) to calc$/.exec(bead.title)![1]!;
      // the branch reached the sample project's repository with the design, the code and the tests
      expect(meta).toMatchObject({ remote: source, commit: git(source, 'rev-parse', meta.branch).trim() });
      const files = git(source, 'ls-tree', '-r', '--name-only', meta.branch).split('\n');
      expect(files).toEqual(expect.arrayContaining([`docs/${fn}.md`, `${fn}.mjs`, `tests/${fn}.test.mjs`, 'tests/add.test.mjs']));
      expect(git(source, 'log', '-1', '--format=%an', meta.branch).trim()).toBe(meta.worker);
    }
    // every molecule is closed, and the town is still running for a person to look at
    const molecules = bdJson<{ status: string }[]>(clone, ['list', '-t', 'molecule', '--all', '-n', '0']);
    expect(molecules.map((m) => m.status)).toEqual(['closed', 'closed', 'closed']);
    const agents = JSON.parse(gt(town!, ['agents', '--json']).stdout) as { address: string; state: string }[];
    expect(agents.map((a) => [a.address, a.state]).sort()).toEqual(
      [['mayor', 'running'], ['calc/witness', 'running'], ['calc/refinery', 'running'], ['calc/polecats/furiosa', 'running'], ['calc/polecats/nux', 'running'], ['calc/polecats/slit', 'running']].sort(),
    );
    expect(existsSync(socketFile(town!))).toBe(true);
  });

  it('without --keep it removes the town and leaves no session, socket or process behind', async () => {
    const r = await demo([]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const base = /^Stopped every session and removed (\S+) \(/m.exec(r.stdout)?.[1];
    expect(base).toBeDefined();
    expect(r.stdout.match(/done: merge request/g)).toHaveLength(3);
    expect(r.stdout).toContain('run npm start -- --keep');
    expect(existsSync(base!)).toBe(false);
    expect(processesOf(join(base!, 'town'))).toEqual([]);
    expect(existsSync(socketFile(join(base!, 'town')))).toBe(false); // its tmux server is gone, socket file and all
  });

  it('says what is wrong with bad arguments, or when tmux is missing, and makes nothing', async () => {
    const bad = await demo(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^npm start: unknown argument --bogus\n\nUsage: npm start \[-- --keep\]/);
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
