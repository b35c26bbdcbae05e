// Who is acting: BD_ACTOR, else git's user.name, else the login name.
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';

// child_process costs ~7 ms to load; only a write without BD_ACTOR needs it.
const require = createRequire(import.meta.url);

export function resolveActor(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.BD_ACTOR?.trim()) return env.BD_ACTOR.trim();
  try {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const name = execFileSync('git', ['config', 'user.name'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (name) return name;
  } catch {
    /* no git, or no name configured */
  }
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
