// Who is acting: BD_ACTOR, else git's user.name, else the login name.
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { BeadsError } from './errors.js';
import { assertNoControl } from './validate.js';

// child_process costs ~7 ms to load; only a write without BD_ACTOR needs it.
const require = createRequire(import.meta.url);

/** An actor's name goes on one line of every operation and of every listing: no control characters. */
export function checkActor(name: string, what: string): string {
  assertNoControl(name, what, 'line');
  if (name.length > 200) throw new BeadsError('invalid_input', `invalid ${what}: too long (${name.length} characters; at most 200)`);
  return name;
}

export function resolveActor(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.BD_ACTOR?.trim()) return checkActor(env.BD_ACTOR.trim(), 'BD_ACTOR');
  try {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const name = execFileSync('git', ['config', 'user.name'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (name) return checkActor(name, 'git user.name');
  } catch {
    /* no git, or no name configured */
  }
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
