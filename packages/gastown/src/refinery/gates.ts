// Running a rig's gates on a candidate: each gate in order in the refinery's clone, checked out at the
// candidate, with its timeout; the first that fails stops the rest. Every run is recorded with its command,
// exit code, duration, output tail and the tree it ran on.
import { runShell } from '@gastown/molecules';
import type { GateRun } from '../model.js';
import type { Gate } from '../town/index.js';
import { checkoutClean, treeOf } from './git.js';

const TAIL_LINES = 40;
const TAIL_BYTES = 4000;

export function outputTail(output: string): string {
  const lines = output.trimEnd().split('\n');
  const tail = lines.slice(-TAIL_LINES).join('\n');
  return tail.length > TAIL_BYTES ? tail.slice(-TAIL_BYTES) : tail;
}

/** Runs one gate where the candidate is checked out. */
export function runGateOnce(dir: string, gate: Gate, tree: string): GateRun {
  const r = runShell(['bash', '-o', 'pipefail', '-c', gate.run], { cwd: dir, timeoutMs: gate.timeout_ms });
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

export interface GateResult {
  passed: boolean;
  runs: GateRun[];
  /** The run that failed (after its retry, when retried). */
  failed?: GateRun;
}

/**
 * Checks out the candidate and runs the gates on it. With `retryFailure`, a failing gate is run once more
 * before it counts (a pass then is recorded as a flake); its first run is kept in the record too.
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
    let run = record(runGateOnce(dir, gate, tree));
    if (!run.passed && options.retryFailure) {
      checkoutClean(dir, candidate);
      const again = runGateOnce(dir, gate, tree);
      run = record(again.passed ? { ...again, flaky: true } : again);
    }
    if (!run.passed) return { passed: false, runs, failed: run };
  }
  return { passed: true, runs };
}
