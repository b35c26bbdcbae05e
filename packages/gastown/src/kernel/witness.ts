// The witness patrol: code, not a prompt. It looks at each polecat of a rig, detects the dead, the stalled
// and the finished, and acts: nudge, restart with the hook kept, release; re-checking before each action
// that nothing changed since it decided.
import type { Tools, Town } from '../model.js';

export interface PatrolOptions {
  tools: Tools;
  actor?: string;
  dryRun?: boolean;
  now?: number;
  log?: (line: string) => void;
}

export interface PatrolFinding {
  polecat: string;
  bead: string | null;
  kind: string;
  evidence: string;
  action: string;
  /** False for a dry run, or when the re-check found that something changed. */
  done: boolean;
  reason: string;
}

export interface PatrolResult {
  rig: string;
  dry_run: boolean;
  findings: PatrolFinding[];
}

export function witnessPatrol(_town: Town, rig: string, options: PatrolOptions): PatrolResult {
  return { rig, dry_run: Boolean(options.dryRun), findings: [] };
}
