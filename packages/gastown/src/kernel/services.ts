// Services: pinned `service` beads in the town store, one per standing agent (the mayor; each rig's witness
// and refinery) and one per command the user declares (gt service add). ensureServices keeps them running,
// with crash-loop backoff.
import type { Tools, Town } from '../model.js';

export interface ServicesOptions {
  tools: Tools;
  actor?: string;
  dryRun?: boolean;
  /** The clock (ms since the epoch), for tests of backoff. */
  now?: number;
  log?: (line: string) => void;
}

export interface ServiceAction {
  service: string;
  action: string;
  reason: string;
}

export interface ServicesResult {
  dry_run: boolean;
  actions: ServiceAction[];
}

export function ensureServices(_town: Town, options: ServicesOptions): ServicesResult {
  return { dry_run: Boolean(options.dryRun), actions: [] };
}
