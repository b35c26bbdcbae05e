// The shapes of the store: a bead as `show --json` prints it, and an operation as one log line holds it.

export const STATUSES = ['open', 'in_progress', 'blocked', 'deferred', 'hooked', 'pinned', 'closed', 'tombstone'] as const;
export type Status = (typeof STATUSES)[number];

export const WORK_TYPES = ['task', 'bug', 'feature', 'epic', 'chore'] as const;
/** Types that are records of the system, never work someone picks up: never ready. */
export const NON_WORK_TYPES = ['molecule', 'message', 'merge-request', 'timer', 'resource', 'service', 'convoy', 'agent'] as const;
export const KNOWN_TYPES = [...WORK_TYPES, ...NON_WORK_TYPES] as const;

export const DEP_TYPES = ['blocks', 'parent-child', 'related', 'discovered-from', 'waits-for'] as const;
/** Dependency types whose open target keeps a bead from being ready. */
export const BLOCKING_DEP_TYPES: ReadonlySet<string> = new Set(['blocks', 'waits-for']);

export interface Dependency {
  issue_id: string;
  depends_on_id: string;
  type: string;
  created_at?: string;
  created_by?: string;
  [extra: string]: unknown;
}

export interface Comment {
  id: number;
  issue_id: string;
  author: string;
  text: string;
  created_at: string;
  [extra: string]: unknown;
}

/** A bead as the fold produces it. Unknown fields from operations or imports are carried as extra keys. */
export interface Bead {
  id: string;
  title: string;
  description?: string;
  design?: string;
  acceptance_criteria?: string;
  notes?: string;
  status: Status;
  priority: number;
  issue_type: string;
  assignee?: string;
  labels?: string[];
  dependencies?: Dependency[];
  comments?: Comment[];
  created_at: string;
  created_by?: string;
  updated_at: string;
  closed_at?: string;
  close_reason?: string;
  defer_until?: string;
  due_at?: string;
  external_ref?: string;
  metadata?: Record<string, unknown>;
  deleted_at?: string;
  deleted_by?: string;
  delete_reason?: string;
  /** When the holder's claim lapses unless renewed (`bd heartbeat`): then the bead is ready and claimable again. */
  lease_expires_at?: string;
  [extra: string]: unknown;
}

export type OpKind =
  | 'create'
  | 'set'
  | 'label_add'
  | 'label_remove'
  | 'dep_add'
  | 'dep_remove'
  | 'comment'
  | 'claim'
  | 'release'
  | 'close'
  | 'reopen'
  | 'delete'
  | 'heartbeat'
  | 'gate'
  | 'metadata';

/**
 * The kinds of record an upper layer may append to a bead's history (Transaction.record): events the fold
 * passes over, kept for history and for the layer that wrote them. `gate`: a gate's run (molecules). A new kind
 * is added here and to `recordKind` in schemas/inputs.schema.json, with what its payload must hold.
 */
export const RECORD_KINDS = ['gate'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** One line of the log. Unknown keys are preserved in the log and in history. */
export interface Op {
  op_id: string;
  bead: string;
  /** op_id of the create this op targets; disambiguates beads whose ids collided across clones. */
  origin?: string;
  kind: OpKind | string;
  actor: string;
  ts: string;
  /** Logical (Lamport) clock: greater than that of every operation the writer had seen. */
  lc: number;
  fields?: Record<string, unknown>;
  label?: string;
  depends_on_id?: string;
  dep_type?: string;
  text?: string;
  reason?: string;
  /** For `metadata`: the keys it changes, each to a value or to null (removed). */
  metadata?: Record<string, unknown>;
  [extra: string]: unknown;
}
