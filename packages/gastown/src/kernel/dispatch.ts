// Dispatch: ready work starts by itself. Per rig, `dispatch: auto` slings ready work beads in ready order
// while fewer than max_polecats polecats are working; `mayor` mails the mayor once per newly ready bead.
import type { Tools, Town } from '../model.js';

export interface DispatchOptions {
  tools: Tools;
  actor?: string;
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface DispatchResult {
  rig: string;
  mode: string;
  dry_run: boolean;
  slung: { bead: string; polecat: string }[];
  notified: string[];
  failed: { bead: string; error: string }[];
}

export function dispatchRound(_town: Town, rig: string, options: DispatchOptions): DispatchResult {
  return { rig, mode: 'off', dry_run: Boolean(options.dryRun), slung: [], notified: [], failed: [] };
}
