// Running a rig's gates on a candidate: each gate in order in the refinery's clone, checked out at the
// candidate, with its timeout; the first that fails stops the rest. Every run is recorded with its command,
// exit code, duration, output tail and the tree it ran on. A gate whose program was not found although the
// candidate's tree has it is the clone's fault, not the candidate's: the clone is restored and it runs again.
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { sleepSync } from '@gastown/beads';
import { runShell } from '@gastown/molecules';
import type { GateRun } from '../model.js';
import type { Gate } from '../town/index.js';
import { GIT_LOCATION_VARIABLES, checkoutClean, inTree, restoreClone, treeOf } from './git.js';

const TAIL_LINES = 40;
const TAIL_BYTES = 4000;

/**
 * A program's output as plain text, the way a terminal would have shown it: colour and other escape sequences
 * removed, a line rewritten with carriage returns (a progress bar) kept as it ended, and any other control
 * byte dropped. The record and the rework mail hold text, and a store refuses control bytes in text.
 */
export function plainText(output: string): string {
  /* eslint-disable no-control-regex */
  const stripped = output
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '') // OSC (titles, links)
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '') // CSI (colours, cursor moves)
    .replace(/\u001b[@-_]/g, ''); // other two-byte escapes
  return stripped
    .split('\n')
    .map((line) => {
      const l = line.replace(/\r+$/, '');
      return l.slice(l.lastIndexOf('\r') + 1);
    })
    .join('\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
  /* eslint-enable no-control-regex */
}

export function outputTail(output: string): string {
  const lines = plainText(output).trimEnd().split('\n');
  const tail = lines.slice(-TAIL_LINES).join('\n');
  return tail.length > TAIL_BYTES ? tail.slice(-TAIL_BYTES) : tail;
}

/** Runs one gate where the candidate is checked out. */
export function runGateOnce(dir: string, gate: Gate, tree: string): GateRun {
  // (without what would point the gate's git at another repository than the candidate's)
  const unset = GIT_LOCATION_VARIABLES.filter((v) => process.env[v] !== undefined).flatMap((v) => ['-u', v]);
  const r = runShell([...(unset.length ? ['env', ...unset] : []), 'bash', '-o', 'pipefail', '-c', gate.run], { cwd: dir, timeoutMs: gate.timeout_ms });
  return {
    gate: gate.name,
    command: gate.run,
    exit_code: r.exitCode,
    duration_ms: r.durationMs,
    output: outputTail(r.output),
    tree,
    passed: r.exitCode === 0 && !r.timedOut,
    ...(r.timedOut ? { timed_out: true } : {}),
    at: new Date().toISOString(),
  };
}

/** A run that says its command was not found (the shell's exit 127), as a missing script or program does. */
export const notFound = (run: GateRun): boolean => run.exit_code === 127 && /command not found|No such file or directory/.test(run.output);

/**
 * The file in the repository a gate's command runs, when it names one (`./test.sh`, `scripts/ci --fast`, after
 * any VAR=value): its path from the repository's root. Null for a program found on PATH (`npm test`), an
 * absolute path, or a command too elaborate to read (quotes, expansions).
 */
export function gateProgram(command: string): string | null {
  const words = command.trim().split(/\s+/);
  while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=\S*$/.test(words[0]!)) words.shift();
  const first = words[0] ?? '';
  if (!first.includes('/') || first.startsWith('/') || /[^A-Za-z0-9_./+@-]/.test(first)) return null;
  return first;
}

/**
 * Runs one gate on `commit`, which is checked out. When its program was not found although `commit` has it, the
 * worktree is not the commit's (a refinery killed inside git left it half-written, or a lock stopped a checkout):
 * the clone is restored and the gate runs once more. Returns the runs (one, or the two).
 */
export function runGateOn(dir: string, gate: Gate, commit: string, tree: string): GateRun[] {
  const first = runGateOnce(dir, gate, tree);
  const program = gateProgram(gate.run);
  if (first.passed || !notFound(first) || program === null || !inTree(dir, commit, program)) return [first];
  restoreClone(dir, commit);
  const again = runGateOnce(dir, gate, tree);
  if (again.passed) return [first, { ...again, flaky: true }];
  // still not found, with the file checked out: what the script runs is missing, said beside its own output
  // (first: the last line stays the shell's, which the refinery quotes)
  return [first, { ...again, output: `(${program} is in the tree ${tree.slice(0, 12)} and was checked out again before this run: the command not found is one it runs)\n${again.output}` }];
}

export interface GateResult {
  passed: boolean;
  runs: GateRun[];
  /** The run that failed (after its retry, when retried). */
  failed?: GateRun;
}

/**
 * Checks out the candidate and runs the gates on it. With `retryFailure`, a failing gate is run once more
 * before it counts (a pass then is recorded as a flake); its first run is kept in the record too. A gate run
 * again because the clone was restored (runGateOn) counts as that retry.
 */
export function runGates(dir: string, candidate: string, gates: Gate[], options: { retryFailure?: boolean; onRun?: (run: GateRun) => void } = {}): GateResult {
  checkoutClean(dir, candidate);
  const tree = treeOf(dir, candidate);
  const runs: GateRun[] = [];
  const record = (run: GateRun): GateRun => {
    runs.push(run);
    options.onRun?.(run);
    return run;
  };
  for (const gate of gates) {
    const made = runGateOn(dir, gate, candidate, tree);
    let run = made.map(record).at(-1)!;
    if (!run.passed && options.retryFailure && made.length === 1) {
      checkoutClean(dir, candidate);
      const again = runGateOnce(dir, gate, tree);
      run = record(again.passed ? { ...again, flaky: true } : again);
    }
    if (!run.passed) return { passed: false, runs, failed: run };
  }
  return { passed: true, runs };
}

/** A live process (a zombie, which only waits to be reaped, is not). */
function living(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Ends what gate runs of a refinery that died (SIGKILL, a crash) left running in its clone: their watchdog ends
 * them within a second or so, but a next refinery starting meanwhile would gate its candidate with them still
 * writing into the worktree, and blame (or pass) a merge request for what they wrote. A gate's processes carry
 * their run's tag (GT_SHELL_RUN_<caller pid>_...) in their environment; those whose caller is gone and whose
 * working directory is in `dir` are killed, and waited for. Returns their pids. (Linux: elsewhere, nothing.)
 */
export function endOrphanedGates(dir: string): number[] {
  if (!existsSync('/proc/self/environ') || !existsSync(dir)) return [];
  const root = realpathSync(dir);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const callers = readFileSync(`/proc/${entry}/environ`, 'utf8')
        .split('\0')
        .flatMap((kv) => /^GT_SHELL_RUN_(\d+)_/.exec(kv)?.[1] ?? [])
        .map(Number);
      if (!callers.length || callers.some(living)) continue;
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if ((cwd === root || cwd.startsWith(`${root}/`)) && living(Number(entry))) found.push(Number(entry));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  for (const pid of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 5000;
  while (found.some(living) && Date.now() < deadline) sleepSync(10);
  return found;
}
