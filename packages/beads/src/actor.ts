// Who is acting: BD_ACTOR, else git's user.name, else the login name.
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

export function resolveActor(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.BD_ACTOR?.trim()) return env.BD_ACTOR.trim();
  try {
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
