// tmux, one function per verb. Each town has its own tmux server (its own socket, `tmux -L <socket>`), so
// stopping one town never touches another. Sessions keep a pane whose program died (remain-on-exit), so a
// dead agent shows as dead rather than vanishing.
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BeadsError, sleepSync } from '@gastown/beads';

const require = createRequire(import.meta.url);
const cp = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

export interface SessionSpec {
  name: string;
  cwd: string;
  env: Record<string, string>;
  /** A shell command line, run by tmux in the session's only pane. */
  command: string;
}

export interface SessionInfo {
  name: string;
  /** The pid of the pane's program (the agent's runtime). */
  pid: number;
  /** The pane's program has exited (the session is kept so that this can be seen). */
  dead: boolean;
  /** Unix seconds of the session's last activity (output or input). */
  activity: number;
  /** Unix seconds the session was created. */
  created: number;
  /**
   * Which run of the session this is: tmux's session id (unique while its server lives), its creation time and
   * the pane's pid. A session ended and made again under the same name, or a pane respawned, is another instance.
   */
  instance: string;
}

/**
 * The environment tmux runs with: without the session tag of an agent that runs gt (GT_SESSION), which a server
 * it starts would carry, so that its own town's gt down took that server, another town's, for its own. Each
 * session's panes get their tag from the session (-e).
 */
function tmuxEnv(): NodeJS.ProcessEnv {
  const { GT_SESSION: _tag, ...env } = process.env;
  return env;
}

/**
 * tmux reads an argument that ends in ';' as the end of a command, the ';' dropped (`sleep 1;` ran as `sleep 1`,
 * `find ... -exec ... \;` as `find ... -exec ... ;`), and one that ends in '\;' as ending in ';'. So each argument ending in
 * ';' is given ending in '\;', which tmux reads back as the argument as it was.
 */
const literal = (arg: string): string => (arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg);

/** Runs one tmux command, or several in one call (each a list of arguments, taken literally). */
function tmux(socket: string, commands: string[] | string[][], options: { input?: string } = {}): string {
  const list = (typeof commands[0] === 'string' ? [commands] : commands) as string[][];
  const args = list.flatMap((command, i) => [...(i ? [';'] : []), ...command.map(literal)]);
  const r = cp().spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', input: options.input, stdio: ['pipe', 'pipe', 'pipe'], env: tmuxEnv() });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw tmuxMissing();
    throw r.error;
  }
  if (r.status !== 0) {
    const text = (r.stderr || r.stdout).trim();
    const verb = list[0]!.find((a) => /^[a-z]+(-[a-z]+)*$/.test(a)) ?? args[0]; // (new-session, not its -f)
    throw Object.assign(new Error(`tmux ${verb}: ${text}`), { stderr: text });
  }
  return r.stdout;
}

function tmuxMissing(): BeadsError {
  return new BeadsError('missing_tool', 'tmux is not installed or not on PATH: gt runs agents in tmux sessions (install it: apt-get install tmux, brew install tmux)');
}

/** Throws the missing_tool error unless tmux can be run. */
export function requireTmux(): void {
  const r = cp().spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (r.error) throw tmuxMissing();
}

const errText = (err: unknown): string => String((err as { stderr?: string }).stderr ?? (err as Error).message);
const noServer = (err: unknown): boolean => /no server running|error connecting|no sessions|can't find session|session not found/i.test(errText(err));
/**
 * No server, or one ending as it was asked: its last session had just gone, and for a moment it answers "no
 * current target" (it has no session left) or "server exited unexpectedly" (it exited while answering).
 */
const serverGone = (err: unknown): boolean => noServer(err) || /server exited unexpectedly|no current target/i.test(errText(err));

/**
 * Makes a session; false when one of that name was there already (made meanwhile by another gt, say), which
 * is left as it is.
 */
export function startSession(socket: string, spec: SessionSpec): boolean {
  const env = Object.entries(spec.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // The server is started with a fixed, minimal set-up: no user config (which could bind keys or rename
  // windows under us), and panes that stay after their program exits. The options are set in the same tmux
  // call as the session, before the server looks at its child again: a command that exits at once leaves its
  // pane dead, where a second call would find the session (and a server it was the only one of) gone.
  const target = `=${spec.name}:`;
  try {
    tmux(socket, [
      ['-f', '/dev/null', 'new-session', '-d', '-s', spec.name, '-c', spec.cwd, '-x', '200', '-y', '50', ...env, spec.command],
      ['set-option', '-t', target, 'remain-on-exit', 'on'],
      ['set-option', '-t', target, 'history-limit', '20000'],
    ]);
    return true;
  } catch (err) {
    if (/^duplicate session/i.test(errText(err))) return false;
    throw err;
  }
}

/** A variable of a session's environment (set with -e when it was made); undefined when unset or no session. */
export function sessionVariable(socket: string, name: string, variable: string): string | undefined {
  try {
    const line = tmux(socket, ['show-environment', '-t', `=${name}`, variable]).trim();
    return line.startsWith(`${variable}=`) ? line.slice(variable.length + 1) : undefined;
  } catch (err) {
    if (serverGone(err) || /unknown variable/i.test(errText(err))) return undefined;
    throw err;
  }
}

/** Replaces the program in a session's pane (killing the old one) with a fresh one. */
export function respawnSession(socket: string, spec: SessionSpec): void {
  const env = Object.entries(spec.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  tmux(socket, ['respawn-pane', '-k', '-t', spec.name, '-c', spec.cwd, ...env, spec.command]);
}

export function listSessions(socket: string): SessionInfo[] {
  let out: string;
  try {
    out = tmux(socket, ['list-panes', '-a', '-F', '#{session_name}\t#{pane_pid}\t#{pane_dead}\t#{session_activity}\t#{session_id}\t#{session_created}']);
  } catch (err) {
    if (serverGone(err)) return [];
    throw err;
  }
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, pid, dead, activity, id, created] = line.split('\t');
      return { name: name!, pid: Number(pid), dead: dead === '1', activity: Number(activity), created: Number(created), instance: `${id}@${created}/${pid}` };
    });
}

/** The pid of the town's tmux server; undefined when none runs. */
export function serverPid(socket: string): number | undefined {
  try {
    return Number(tmux(socket, ['display-message', '-p', '#{pid}']).trim()) || undefined;
  } catch (err) {
    if (serverGone(err)) return undefined;
    throw err;
  }
}

/** Ends a session; false when there was none. */
export function stopSession(socket: string, name: string): boolean {
  try {
    tmux(socket, ['kill-session', '-t', `=${name}`]);
    return true;
  } catch (err) {
    if (noServer(err)) return false;
    throw err;
  }
}

/** Ends the town's tmux server and every session in it. */
export function stopServer(socket: string): void {
  try {
    tmux(socket, ['kill-server']);
  } catch (err) {
    if (!noServer(err)) throw err;
  }
  removeStaleSocket(socket, 2000);
}

/** Where tmux keeps a named socket (`-L`): $TMUX_TMPDIR (else /tmp), then tmux-<uid>. */
export function socketPath(socket: string): string {
  return join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);
}

/**
 * tmux leaves its socket file behind when its server ends (killed, or its last session gone). Removes it once
 * no server answers on it, waiting up to `waitMs` for a server that is ending (it exits after the command that
 * ends it returns), so a stopped town leaves nothing in tmux's directory.
 */
export function removeStaleSocket(socket: string, waitMs = 0): void {
  const path = socketPath(socket);
  const deadline = Date.now() + waitMs;
  while (existsSync(path)) {
    try {
      tmux(socket, ['list-sessions']);
    } catch (err) {
      if (noServer(err)) {
        rmSync(path, { force: true });
        return;
      }
      // an ending server answers "server exited unexpectedly" for a moment: ask again
    }
    if (Date.now() >= deadline) return;
    sleepSync(20);
  }
}

/** The last `lines` lines of a session's pane (its visible screen and scrollback). */
export function capturePane(socket: string, name: string, lines = 50): string {
  const out = tmux(socket, ['capture-pane', '-p', '-J', '-t', `=${name}:`, '-S', `-${Math.max(1, lines)}`]);
  const all = out.replace(/\n+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

/** The text of the line the pane's cursor is on. */
export function cursorLine(socket: string, name: string): string {
  const y = tmux(socket, ['display-message', '-p', '-t', `=${name}:`, '#{cursor_y}']).trim();
  return tmux(socket, ['capture-pane', '-p', '-J', '-t', `=${name}:`, '-S', y, '-E', y]).replace(/\n$/, '');
}

/** Types text into the pane literally (no key names are interpreted). */
export function typeText(socket: string, name: string, text: string): void {
  tmux(socket, ['send-keys', '-t', `=${name}:`, '-l', '--', text]);
}

export function pressEnter(socket: string, name: string): void {
  tmux(socket, ['send-keys', '-t', `=${name}:`, 'Enter']);
}

/**
 * Attaches the current terminal to a session until the user detaches. The town's server is not the one a user
 * may already be inside, so TMUX is dropped from the client's environment: tmux would otherwise refuse to nest.
 */
export function attachSession(socket: string, name: string): number {
  const { TMUX: _inside, ...env } = process.env;
  const r = cp().spawnSync('tmux', ['-L', socket, 'attach-session', '-t', `=${name}`], { stdio: 'inherit', env });
  if (r.error) throw (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? tmuxMissing() : r.error;
  return r.status ?? 1;
}
