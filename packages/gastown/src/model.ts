// The town's domain model: the types and constants every subsystem shares, and no I/O. Modules that act on a
// town import their types from here, so no two of them import each other for a type.

export const TOWN_FILE = 'town.json';
export const RIGS_FILE = 'rigs.json';
export const TOWN_PREFIX = 'hq';

export interface TownConfig {
  name: string;
  format: number;
  created_at: string;
  /** Which agent runtime each role runs (see runtime.ts); absent: Claude Code for every role. */
  runtimes?: RuntimeConfig;
}

export interface RigEntry {
  name: string;
  prefix: string;
  /** Where it was cloned from. */
  source: string;
  /** The rig's directory, relative to the town. */
  path: string;
  added_at: string;
}

export interface Town {
  root: string;
  config: TownConfig;
  rigs: RigEntry[];
}

export type Role = 'mayor' | 'witness' | 'refinery' | 'polecat';
export const ROLES: Role[] = ['mayor', 'witness', 'refinery', 'polecat'];

export interface Agent {
  role: Role;
  rig?: string;
  /** A polecat's name. */
  name?: string;
  address: string;
  /** The tmux session name. */
  session: string;
  /** Where its runtime runs: a polecat's worktree, or a directory of its own. */
  cwd: string;
  /** The bead store it works in (.beads directory): its rig's, or the town's for the mayor. */
  store: string;
}

export interface RuntimeConfig {
  /** The runtime of every role without its own. */
  default?: string;
  roles?: Partial<Record<Role, string>>;
  /**
   * Named runtimes: a shell command line each (`codex --full-auto`, `gemini`, `bash`), or {run, resume} for one
   * that can resume a conversation: resume is the arguments added to resume one, {id} its id ("--resume {id}").
   */
  commands?: Record<string, string | RuntimeCommand>;
}

export interface RuntimeCommand {
  run: string;
  resume?: string;
}

export interface Runtime {
  name: string;
  /** The shell command line the session runs. */
  command: string;
  /** Claude Code: gt writes its settings so that its session-start hook runs `gt prime --hook`. */
  claude: boolean;
  /** How it resumes a conversation: arguments with {id} for the conversation's id; absent: it cannot. */
  resume?: string;
  /** The command line without what follows its arguments (Claude's first prompt), for resumeRuntime. */
  base?: string;
  /** The conversation this command resumes, when it resumes one. */
  resumes?: string;
}

/** Where gt and bd are, so that sessions (and the scripted agent) can run them. */
export interface Tools {
  node: string;
  gt: string;
  bd: string;
}

/** A merge request as `gt done` files it (metadata.merge_request of a merge-request bead). */
export interface MergeRequestMeta {
  branch: string;
  target: string;
  source_bead: string;
  worker: string;
  commit: string;
  /** The URL of the remote the branch was pushed to; absent when it was not pushed (gt done --no-push, or no remote). */
  remote?: string;
}

/**
 * Where a merge request is in the refinery's queue (metadata.mq). queued: waiting (bead open); testing: taken
 * by the refinery, its candidate being built and gated (bead in_progress); landing: its candidate passed and
 * is being pushed (the candidate's commit is recorded first); pr: gated and waiting for its pull request to
 * merge; merged, rework, rejected, superseded: done with (bead closed).
 */
export type MqState = 'queued' | 'testing' | 'landing' | 'pr' | 'merged' | 'rework' | 'rejected' | 'superseded';
export const MQ_STATES: MqState[] = ['queued', 'testing', 'landing', 'pr', 'merged', 'rework', 'rejected', 'superseded'];

/** Why a merge request failed an attempt; an infrastructure error (git, disk) never blames the merge request. */
export type MqFailure = 'conflict' | 'gate_failed' | 'gate_timeout' | 'infrastructure';

export interface GateRun {
  gate: string;
  command: string;
  exit_code: number | null;
  duration_ms: number;
  /** The last lines of its output. */
  output: string;
  /** The tree the gate ran on (git's tree id of the candidate). */
  tree: string;
  passed: boolean;
  timed_out?: boolean;
  /** Failed, then passed when run once more: recorded, and counted as a pass. */
  flaky?: boolean;
  at: string;
}

export interface MqAttempt {
  /** 1, 2, ...: one per time the refinery took the merge request. */
  n: number;
  started_at: string;
  /** The target's commit the candidate was built on. */
  base: string;
  /** The candidate's commit (this merge request's on top, with any of its batch before it). */
  candidate?: string;
  /** Other merge requests gated in the same batch. */
  batch?: string[];
  runs: GateRun[];
  outcome?: 'passed' | 'landed' | MqFailure | 'retarget' | 'released';
  detail?: string;
  /** Conflicting paths, for a conflict. */
  files?: string[];
}

export interface MqMeta {
  state: MqState;
  /** When it entered the queue (filed, or retried): its age in the queue counts from here. */
  queued_at: string;
  /** Times it was sent back to the queue by gt mq retry (it waits behind merge requests of its priority). */
  retries: number;
  /** Reworks of its source bead before this merge request (carried from the one it supersedes). */
  reworks: number;
  attempts: MqAttempt[];
  /** Why it is where it is (waiting, rejected, sent to rework). */
  reason?: string;
  merged_commit?: string;
  pr_url?: string;
  superseded_by?: string;
}
