// The README's install step: `npm install -g .` from a clone puts bd and gt on the PATH. Installed into a
// private prefix (one install: it is the slow part), then run from a directory outside the clone.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT } from './helpers.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => rmSync(t, { recursive: true, force: true })));
const temp = (name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `gt-${name}-`));
  temps.push(dir);
  return dir;
};

describe('npm install -g . from the clone', () => {
  it('puts bd and gt on the PATH, and they work from another directory', () => {
    const prefix = temp('prefix');
    // npm test's own npm_* variables (the lifecycle, this project's config) stay out of the install
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '.'], { cwd: ROOT, encoding: 'utf8', env });
    expect({ code: install.status, stderr: install.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    const elsewhere = temp('elsewhere');
    const path = { ...env, PATH: `${join(prefix, 'bin')}${delimiter}${env.PATH ?? ''}`, BD_ACTOR: 'tester' };
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { cwd: elsewhere, encoding: 'utf8', env: path });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error?.message };
    };
    expect(run(join(prefix, 'bin', 'bd'), ['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: bd') });
    expect(run('bd', ['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: bd') });
    expect(run('gt', ['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: gt') });

    // Beyond help: a store in a new repository, and the molecules shipped beside the installed code.
    expect(spawnSync('git', ['init', '-q'], { cwd: elsewhere }).status).toBe(0);
    expect(run('bd', ['init', '--prefix', 'gt'])).toMatchObject({ code: 0 });
    const created = run('bd', ['create', 'From the installed bd', '--json']);
    expect(created).toMatchObject({ code: 0 });
    expect(JSON.parse(created.stdout)).toMatchObject({ title: 'From the installed bd' });
    const molecules = run('bd', ['mol', 'list', '--json']);
    expect(molecules).toMatchObject({ code: 0 });
    expect((JSON.parse(molecules.stdout) as { name: string }[]).map((m) => m.name)).toContain('engineer-in-box');
  });
});

describe('rebuilding the bundle (what npm install -g . runs as its prepare step)', () => {
  it('never leaves a bd started meanwhile without a chunk its entry imports', async () => {
    const bundler = spawn(process.execPath, [join(ROOT, 'packages', 'cli', 'scripts', 'bundle.mjs')], { cwd: ROOT, stdio: 'ignore' });
    const done = new Promise<number | null>((resolve) => bundler.on('close', resolve));
    let finished = false;
    void done.then(() => (finished = true));
    const failures: string[] = [];
    let runs = 0;
    let duringBuild = 0;
    // bd started over and over while the bundle is rewritten (and a few times after)
    while (!finished || runs < 3) {
      if (!finished) duringBuild++;
      const r = spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'dist', 'bd.mjs'), '--help'], { encoding: 'utf8' });
      runs++;
      if (r.status !== 0) failures.push(`exit ${r.status}: ${(r.stderr ?? '').split('\n').find((l) => l.includes('Error')) ?? r.stderr}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await done).toBe(0);
    expect(failures).toEqual([]);
    expect(duringBuild).toBeGreaterThan(0); // (the bundler runs about 0.5 s, a bd --help about 0.2 s)
  });
});
