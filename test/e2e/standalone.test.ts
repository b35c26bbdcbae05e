// A clone stands alone: the tests and the benchmark that read data find it inside the repository, so a copy
// with nothing beside it runs them as well as this checkout does. (.ci/run checks the whole suite that way.)
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './helpers.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => rmSync(t, { recursive: true, force: true })));

/** The repository's own files (tracked, or new and not ignored) and its built output, copied to `dest`. */
function copyRepository(dest: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dest, file));
  }
  const built = readdirSync(join(ROOT, 'packages')).map((p) => join('packages', p, 'dist'));
  for (const dir of [...built, join('packages', 'beads', 'src', 'generated')]) {
    if (existsSync(join(ROOT, dir))) cpSync(join(ROOT, dir), join(dest, dir), { recursive: true });
  }
  // The installed dependencies are not data: link them rather than install them again.
  symlinkSync(join(ROOT, 'node_modules'), join(dest, 'node_modules'));
}

describe('a copy of the repository with nothing beside it', () => {
  it('runs the import test and the import benchmark on the sample data it carries', () => {
    const base = mkdtempSync(join(tmpdir(), 'gt-standalone-'));
    temps.push(base);
    const copy = join(base, 'gastown'); // nothing beside it
    copyRepository(copy);
    const env = { ...process.env, CI: 'true', FORCE_COLOR: '0' };

    const jest = spawnSync(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--ci', 'test/e2e/import.test.ts'], { cwd: copy, encoding: 'utf8', env });
    expect({ code: jest.status, output: jest.stderr.split('\n').slice(0, 40).join('\n') }).toEqual({ code: 0, output: expect.stringContaining('1 passed') });

    const bench = spawnSync(process.execPath, ['scripts/bench.mjs', '--only', 'import', '--runs', '1'], { cwd: copy, encoding: 'utf8', env });
    expect(bench.status).toBe(0);
    expect(bench.stdout).toMatch(/^import of the 1,955-issue sample: \d+ ms/m);
    expect(bench.stdout).not.toContain('skipped');
  });
});
