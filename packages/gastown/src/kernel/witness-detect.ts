// The witness's decisions, as pure functions of what it saw of one polecat: which problem it has (if any),
// and which action of the ladder comes next: nudge once, restart with the hook kept, release after
// max_restarts. No I/O here: witness.ts looks, and acts on what this decides.
import type { Bead } from '@gastown/beads';
import type { RigSettings } from '../town/index.js';
import type { PolecatState } from '../work/index.js';
import type { PaneObservation } from './witness-panes.js';

export type Detection = 'session_gone' | 'runtime_dead' | 'stalled' | 'stuck_in_done' | 'idle_after_merged' | 'closed_bead_session';
export type PatrolAction = 'nudge' | 'restart' | 'release' | 'collect' | 'stop';

/** What the witness keeps on a hooked bead (metadata.witness); written only when it acts. */
export interface WitnessMeta {
  /** Restarts on this bead since it was last released. */
  restarts: number;
  last_restart_at?: string;
  nudged_at?: string;
  /** The session instance the nudge went to: a nudge is sent once per instance. */
  nudged_instance?: string;
  releases?: number;
  released_at?: string;
  /** The last thing the witness did about it, with what it saw. */
  last?: { kind: Detection; action: PatrolAction; evidence: string; at: string };
}

export const WITNESS_KEY = 'witness';

export function witnessMeta(bead: Bead | null | undefined): WitnessMeta {
  const raw = (bead?.metadata as Record<string, unknown> | undefined)?.[WITNESS_KEY] as Partial<WitnessMeta> | undefined;
  return { ...(raw ?? {}), restarts: Number.isInteger(raw?.restarts) ? raw!.restarts! : 0 };
}

/** The session as the witness saw it (SessionInfo's fields it decides on). */
export interface SessionSeen {
  instance: string;
  dead: boolean;
  /** Unix seconds. */
  created: number;
}

/** Everything the witness saw of one polecat, at one moment. */
export interface PolecatLook {
  address: string;
  session: SessionSeen | null;
  /** The bead on its hook. */
  bead: Bead | null;
  steps: { done: number; total: number } | null;
  /** The latest operation on the hooked bead, its molecule, its steps and its merge request (unix ms). */
  last_op_ms: number | null;
  /** When it was started or last restarted (unix ms): the session's creation, the last restart, the worktree's. */
  started_ms: number;
  pane: PaneObservation | null;
  state: PolecatState;
  /** Its latest merge request's queue state. */
  mr_state: string | null;
  /** The latest bead it was slung that is closed (when nothing is on its hook). */
  closed_bead: Bead | null;
}

export interface Decision {
  kind: Detection;
  action: PatrolAction;
  evidence: string;
}

const ago = (now: number, ms: number | null): string => (ms === null ? 'never' : `${Math.round((now - ms) / 1000)}s ago`);

/** The next rung of the ladder for a polecat with a problem: nudge (once per instance, where it helps), restart, release. */
function ladder(look: PolecatLook, settings: RigSettings, nudgeable: boolean): PatrolAction {
  const meta = witnessMeta(look.bead);
  if (nudgeable && look.session && meta.nudged_instance !== look.session.instance) return 'nudge';
  return meta.restarts >= settings.max_restarts ? 'release' : 'restart';
}

/** The problem this polecat has and what to do about it, or null when it has none. Spawn grace is the caller's. */
export function decide(look: PolecatLook, settings: RigSettings, now: number): Decision | null {
  const restarts = witnessMeta(look.bead).restarts;
  const session = look.session;
  if (look.bead) {
    // Its merge request is in the queue: the work is safe there, and nothing is asked of the polecat until the
    // refinery sends it back (then it is in rework, and a gone session is restarted). Never released meanwhile:
    // a released bead with its merge request still open would be slung and merged twice.
    if (look.state === 'in_queue') return null;
    const bead = `${look.bead.id} hooked (${look.bead.status}, updated ${look.bead.updated_at}), restarts ${restarts}/${settings.max_restarts}`;
    if (!session) return { kind: 'session_gone', action: ladder(look, settings, false), evidence: `no tmux session; ${bead}` };
    if (session.dead) return { kind: 'runtime_dead', action: ladder(look, settings, false), evidence: `session ${session.instance}: its runtime has exited; ${bead}` };
    const lastOp = `last operation ${ago(now, look.last_op_ms)}`;
    const allClosed = look.steps !== null && look.steps.total > 0 && look.steps.done === look.steps.total;
    if (allClosed && look.state !== 'rework') {
      if (look.last_op_ms !== null && now - look.last_op_ms < settings.spawn_grace_ms) return null;
      return { kind: 'stuck_in_done', action: ladder(look, settings, true), evidence: `every step closed (${look.steps!.done}/${look.steps!.total}) and no merge request open (latest: ${look.mr_state ?? 'none'}), ${lastOp}; session ${session.instance}; ${bead}` };
    }
    const quiet = look.last_op_ms === null || now - look.last_op_ms >= settings.stall_after_ms;
    const pane = look.pane && look.pane.instance === session.instance ? look.pane : null;
    if (quiet && pane && now - pane.since >= settings.stall_after_ms) {
      const steps = look.steps ? `${look.steps.done}/${look.steps.total} steps closed` : 'no molecule';
      return { kind: 'stalled', action: ladder(look, settings, true), evidence: `${lastOp}; pane unchanged since ${ago(now, pane.since)} (hash ${pane.hash.slice(0, 12)}); ${steps}; session ${session.instance}; ${bead}` };
    }
    return null;
  }
  if (!session) return null;
  if (look.state === 'merged') return { kind: 'idle_after_merged', action: 'collect', evidence: `nothing hooked, its merge request merged; session ${session.instance} still there` };
  if (look.state === 'rejected') return { kind: 'closed_bead_session', action: 'stop', evidence: `nothing hooked, its merge request was rejected (the bead released); session ${session.instance} still there` };
  if (look.closed_bead && look.state === 'idle') {
    return { kind: 'closed_bead_session', action: 'stop', evidence: `nothing hooked, its bead ${look.closed_bead.id} was closed (${look.closed_bead.close_reason ?? 'no reason'}) without a merge; session ${session.instance} still there` };
  }
  return null;
}

/** Whether the polecat is still within spawn grace (started or restarted less than spawn_grace ago). */
export const inSpawnGrace = (look: PolecatLook, settings: RigSettings, now: number): boolean => now - look.started_ms < settings.spawn_grace_ms;
