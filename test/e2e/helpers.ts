// Running the built bd binary in temp git repositories.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** git with a throwaway identity, its output as text (throws on a non-zero exit). */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function gtJson<T>(cwd: string, args: string[], env: Record<string, string> = {}): T {
  const r = gt(cwd, [...args, '--json'], env);
  if (r.code !== 0) throw new Error(`gt ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A live process (a zombie, which waits only to be reaped, is not). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * A bare remote and `n` clones of it under a temp dir (pushed to `bases` for removal); the first clone made the
 * store and pushed it. Each clone has a git identity of its own.
 */
export function clones(n: number, bases: string[]): { base: string; remote: string; dirs: string[] } {
  const base = mkdtempSync(join(tmpdir(), 'bd-sync-'));
  bases.push(base);
  git(base, 'init', '-q', '--bare', 'remote.git');
  const dirs = Array.from({ length: n }, (_, i) => join(base, `clone${i}`));
  git(base, 'clone', '-q', 'remote.git', dirs[0]!);
  bd(dirs[0]!, ['init', '--prefix', 'gt']);
  writeFileSync(join(dirs[0]!, 'README'), 'code\n');
  git(dirs[0]!, 'add', '-A');
  git(dirs[0]!, 'commit', '-qm', 'start');
  git(dirs[0]!, 'push', '-q', 'origin', 'HEAD');
  for (const d of dirs.slice(1)) git(base, 'clone', '-q', 'remote.git', d);
  for (const d of dirs) {
    git(d, 'config', 'user.name', 't');
    git(d, 'config', 'user.email', 't@t');
  }
  return { base, remote: join(base, 'remote.git'), dirs };
}

/** The files of the store's log under `root` (a repository holding .beads/), oldest first, as paths. */
export function logFiles(root: string): string[] {
  const beads = join(root, '.beads');
  const out = existsSync(join(beads, 'ops.jsonl')) ? [join(beads, 'ops.jsonl')] : [];
  const segments = join(beads, 'log');
  if (existsSync(segments)) for (const f of readdirSync(segments).filter((f) => f.endsWith('.jsonl')).sort()) out.push(join(segments, f));
  return out;
}

/** The whole log of the store under `root`: every file's text, oldest file first ('' when there is none). */
export function logText(root: string): string {
  return logFiles(root).map((f) => readFileSync(f, 'utf8')).join('');
}

/** The segment this clone of the store under `root` appends to (`.beads/writer` names it), as a path. */
export function writerLog(root: string): string {
  const { segment } = JSON.parse(readFileSync(join(root, '.beads', 'writer'), 'utf8')) as { segment: string };
  return join(root, '.beads', segment);
}
