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
  /** Named runtimes: a shell command line each (`codex --full-auto`, `gemini`, `bash`). */
  commands?: Record<string, string>;
}

export interface Runtime {
  name: string;
  /** The shell command line the session runs. */
  command: string;
  /** Claude Code: gt writes its settings so that its session-start hook runs `gt prime`. */
  claude: boolean;
}

/** Where gt and bd are, so that sessions (and the scripted agent) can run them. */
export interface Tools {
  node: string;
  gt: string;
  bd: string;
}
