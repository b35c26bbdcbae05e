// The rig's worktree setup hook: the `setup` commands of its settings (copy env files, install dependencies),
// run in a new polecat's worktree before its session starts, in order, each with its timeout and the agent's
// environment. The first that fails stops the rest; the sling undoes itself and reports that command.
import { BeadsError } from '@gastown/beads';
import { runShell } from '@gastown/molecules';
import type { SetupCommand } from '../town/index.js';

/** What would point a setup command's git at another repository than the worktree (gt run from a git hook). */
const GIT_LOCATION = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE', 'GIT_PREFIX'];
const TAIL_LINES = 20;
const TAIL_BYTES = 2000;

export interface SetupRun {
  run: string;
  exit_code: number | null;
  timed_out: boolean;
  /** The last lines of what it printed, as plain text. */
  output: string;
}

/** The end of a program's output as plain text: escape sequences and other control bytes (a store refuses them) dropped. */
export function outputTail(output: string): string {
  /* eslint-disable no-control-regex */
  const plain = output
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '')
    .replace(/\r\n/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
  /* eslint-enable no-control-regex */
  const tail = plain.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
  return tail.length > TAIL_BYTES ? tail.slice(-TAIL_BYTES) : tail;
}

/** Runs the setup commands in `cwd` with `env` added; throws gate_failed naming the first that fails. */
export function runSetup(cwd: string, commands: SetupCommand[], env: Record<string, string>): SetupRun[] {
  const runs: SetupRun[] = [];
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const unset = GIT_LOCATION.filter((v) => process.env[v] !== undefined).flatMap((v) => ['-u', v]);
  for (const command of commands) {
    const r = runShell(['env', ...unset, ...vars, 'bash', '-o', 'pipefail', '-c', command.run], { cwd, timeoutMs: command.timeout_ms });
    const run: SetupRun = { run: command.run, exit_code: r.exitCode, timed_out: r.timedOut, output: outputTail(r.output) };
    runs.push(run);
    if (r.exitCode !== 0 || r.timedOut) {
      const how = r.timedOut ? `timed out after ${command.timeout_ms} ms` : r.exitCode === null ? `was killed (${r.signal ?? 'signal'})` : `exited ${r.exitCode}`;
      const said = run.output ? `; its output ends:\n${run.output}` : ' (it printed nothing)';
      throw new BeadsError('gate_failed', `setup command ${JSON.stringify(command.run)} ${how} in ${cwd}${said}`, { setup: run, runs });
    }
  }
  return runs;
}
