// Running the built bd binary in temp git repositories.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BD = join(ROOT, 'packages', 'cli', 'dist', 'bd.mjs');
export const WRITER = join(ROOT, 'test', 'e2e', 'workers', 'writer.mjs');
export const GT = join(ROOT, 'packages', 'cli', 'dist', 'gt.mjs');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function bd(cwd: string, args: string[], env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [BD, ...args], { cwd, encoding: 'utf8', env: { ...process.env, BD_ACTOR: 'tester', ...env }, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function gt(cwd: string, args: string[], env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [GT, ...args], { cwd, encoding: 'utf8', env: { ...process.env, BD_ACTOR: 'tester', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function bdJson<T = unknown>(cwd: string, args: string[], env: Record<string, string> = {}): T {
  const r = bd(cwd, [...args, '--json'], env);
  if (r.code !== 0) throw new Error(`bd ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function bdAsync(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BD, ...args], { cwd, env: { ...process.env, BD_ACTOR: 'tester', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function tempGitDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bd-e2e-'));
  spawnSync('git', ['init', '-q', dir]);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Temp directories that are removed after each test: `tempDirs.store()` gives a git repository with a bead
 * store made by the real `bd init`.
 */
export function tempDirs(afterEach: (fn: () => void) => void) {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const git = (): string => {
    const t = tempGitDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };
  const store = (prefix = 'gt'): string => {
    const dir = git();
    const r = bd(dir, ['init', '--prefix', prefix]);
    if (r.code !== 0) throw new Error(`bd init failed: ${r.stderr}`);
    return dir;
  };
  return { git, store };
}

/** Waits for a condition with a generous deadline instead of sleeping and hoping. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
