// The git verbs a town needs when it adds or removes rigs, run synchronously (these are one-off commands).
import { createRequire } from 'node:module';

// child_process costs ~7 ms to load, and bd loads this package to route ids within a town: load it on use.
const require = createRequire(import.meta.url);

function git(args: string[], cwd?: string): string {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether `source` (a URL or a path) is a git repository git can read; the error text when not. */
export function probeRepository(source: string): string | null {
  try {
    git(['ls-remote', '--heads', source]);
    return null;
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0] ?? 'unreadable';
  }
}

export function clone(source: string, dest: string): void {
  git(['clone', '--quiet', source, dest]);
}

export function initRepository(dir: string): void {
  git(['init', '--quiet', dir]);
}

/** Local work not yet in the remote: uncommitted changes, and commits the upstream lacks. */
export function unmergedWork(dir: string): string[] {
  const out: string[] = [];
  const status = git(['status', '--porcelain'], dir).trim();
  if (status) out.push(`uncommitted changes (${status.split('\n').length} path(s))`);
  let ahead = '';
  try {
    ahead = git(['rev-list', '--count', '@{upstream}..HEAD'], dir).trim();
  } catch {
    const hasHead = (() => {
      try {
        git(['rev-parse', '-q', '--verify', 'HEAD'], dir);
        return true;
      } catch {
        return false;
      }
    })();
    if (hasHead) ahead = git(['rev-list', '--count', 'HEAD'], dir).trim();
  }
  if (ahead && ahead !== '0') out.push(`${ahead} commit(s) not pushed`);
  return out;
}
