// Running one gate of a step: `sh -c` in the caller's directory with a timeout, as shell-run.ts runs commands,
// and what is recorded of the run in the bead's history (command, exit code, duration, the tail of its output).
import { runShell } from './shell-run.js';

export interface GateRun {
  command: string;
  exit_code: number | null;
  duration_ms: number;
  /** The last lines of stdout and stderr together. */
  output: string;
  passed: boolean;
  timed_out?: boolean;
}

const TAIL_LINES = 20;
const TAIL_CHARS = 4000;
export const DEFAULT_GATE_TIMEOUT_MS = 600_000;

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  const kept = lines.slice(-TAIL_LINES).join('\n');
  return kept.length > TAIL_CHARS ? kept.slice(-TAIL_CHARS) : kept;
}

/**
 * Runs one gate with `sh -c` until its shell exits (not until whatever it started in the background does); what
 * it leaves running is ended, and on a timeout everything it started is killed.
 */
export function runGate(command: string, cwd: string, timeoutMs: number): GateRun {
  const r = runShell(['sh', '-c', command], { cwd, timeoutMs });
  // a gate killed by a signal has no exit code: its output says which signal, or that it timed out
  const note = r.timedOut ? `(gate timed out after ${timeoutMs} ms)` : r.signal ? `(gate killed by ${r.signal})` : '';
  const output = tail([r.output.trimEnd(), note].filter(Boolean).join('\n'));
  return { command, exit_code: r.exitCode, duration_ms: r.durationMs, output, passed: r.exitCode === 0 && !r.timedOut, ...(r.timedOut ? { timed_out: true } : {}) };
}
