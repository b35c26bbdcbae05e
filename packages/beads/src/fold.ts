// The fold: a bead's state is its operations applied in the store's total order, (lc, op_id) ascending.
// Replaying in one total order makes every clone that holds the same set of operations reach the same
// state, whatever order the lines have in its file. Ids that collided across clones are told apart here.
import type { Bead, Comment, Dependency, Op } from './types.js';

/** A bead plus what the fold needs to keep applying operations to it. */
export interface BeadState {
  bead: Bead;
  /** op_id of the bead's create operation. */
  origin: string;
  /** The id the log uses for this bead (differs from bead.id only after a collision was resolved). */
  logId: string;
  /** Stamp of the last operation applied: later operations may be applied incrementally. */
  lc: number;
  op: string;
}

export function compareStamp(alc: number, aop: string, blc: number, bop: string): number {
  if (alc !== blc) return alc < blc ? -1 : 1;
  return aop < bop ? -1 : aop > bop ? 1 : 0;
}

export function compareOps(a: Op, b: Op): number {
  return compareStamp(a.lc, a.op_id, b.lc, b.op_id);
}

const TEXT_FIELDS = new Set(['description', 'design', 'acceptance_criteria', 'notes', 'assignee', 'close_reason', 'external_ref']);
const NULLABLE = new Set(['closed_at', 'defer_until', 'due_at', 'external_ref', 'metadata', 'assignee']);

function normalizeDependency(beadId: string, raw: Record<string, unknown>, op: Op): Dependency {
  const { issue_id: _ignored, depends_on_id, type, created_at, created_by, ...rest } = raw;
  return {
    issue_id: beadId,
    depends_on_id: String(depends_on_id),
    type: String(type),
    created_at: typeof created_at === 'string' ? created_at : op.ts,
    created_by: typeof created_by === 'string' ? created_by : op.actor,
    ...rest,
  };
}

function normalizeComments(beadId: string, raw: unknown[], op: Op): Comment[] {
  return raw.map((c, i) => {
    const { id, issue_id: _ignored, author, text, created_at, ...rest } = c as Record<string, unknown>;
    return {
      id: typeof id === 'number' ? id : i + 1,
      issue_id: beadId,
      author: typeof author === 'string' ? author : op.actor,
      text: String(text),
      created_at: typeof created_at === 'string' ? created_at : op.ts,
      ...rest,
    };
  });
}

function setField(bead: Bead, key: string, value: unknown, op: Op): void {
  if (key === 'id') return;
  if (value === null || (value === '' && (TEXT_FIELDS.has(key) || NULLABLE.has(key)))) {
    delete bead[key];
    return;
  }
  switch (key) {
    case 'labels':
      bead.labels = [...new Set((value as string[]).map(String))].sort();
      if (bead.labels.length === 0) delete bead.labels;
      return;
    case 'dependencies': {
      const deps = (value as Record<string, unknown>[]).map((d) => normalizeDependency(bead.id, d, op));
      if (deps.length) bead.dependencies = deps;
      else delete bead.dependencies;
      return;
    }
    case 'comments': {
      const comments = normalizeComments(bead.id, value as unknown[], op);
      if (comments.length) bead.comments = comments;
      else delete bead.comments;
      return;
    }
    case 'status': {
      const was = bead.status;
      bead.status = value as Bead['status'];
      if (value === 'closed' && was !== 'closed' && bead.closed_at === undefined) bead.closed_at = op.ts;
      if (value !== 'closed' && value !== 'tombstone' && was === 'closed') {
        delete bead.closed_at;
        delete bead.close_reason;
      }
      return;
    }
    default:
      defineKey(bead, key, value);
  }
}

/** Sets an own key, also one named __proto__ (assigning that would set the object's prototype instead). */
function defineKey(target: object, key: string, value: unknown): void {
  // assignment keeps the object a fast one (a full cache build sets a million fields); only __proto__ needs defining
  if (key !== '__proto__') (target as Record<string, unknown>)[key] = value;
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function createBead(id: string, op: Op): Bead {
  const fields = op.fields ?? {};
  const bead: Bead = {
    id,
    title: String(fields.title ?? ''),
    status: 'open',
    priority: 2,
    issue_type: 'task',
    created_at: op.ts,
    created_by: op.actor,
    updated_at: op.ts,
  };
  for (const [key, value] of Object.entries(fields)) setField(bead, key, value, op);
  // An import carries its own timestamps; a plain create is stamped by its operation.
  if (typeof fields.updated_at !== 'string') bead.updated_at = op.ts;
  return bead;
}

/**
 * Applies one operation (already routed to bead `id`) to the state. Operations must arrive in total order;
 * returns the new state (the same object, mutated) or a new one for a create.
 */
export function applyOp(state: BeadState | undefined, op: Op, id: string): BeadState | undefined {
  if (op.kind === 'create') {
    if (state) return state; // a duplicate create of the same origin: the first one stands
    return { bead: createBead(id, op), origin: op.op_id, logId: op.bead, lc: op.lc, op: op.op_id };
  }
  if (!state) return undefined;
  const bead = state.bead;
  state.lc = op.lc;
  state.op = op.op_id;
  if (bead.status === 'tombstone' && op.kind !== 'comment') return state;
  let touched = true;
  switch (op.kind) {
    case 'set':
      for (const [key, value] of Object.entries(op.fields ?? {})) setField(bead, key, value, op);
      break;
    case 'metadata':
      applyMetadataPatch(bead, op.metadata as Record<string, unknown> | undefined);
      break;
    case 'label_add':
      bead.labels = [...new Set([...(bead.labels ?? []), op.label!])].sort();
      break;
    case 'label_remove':
      if (bead.labels) {
        bead.labels = bead.labels.filter((l) => l !== op.label);
        if (bead.labels.length === 0) delete bead.labels;
      }
      break;
    case 'dep_add': {
      const deps = (bead.dependencies ?? []).filter((d) => !(d.depends_on_id === op.depends_on_id && d.type === op.dep_type));
      deps.push(normalizeDependency(bead.id, { depends_on_id: op.depends_on_id, type: op.dep_type }, op));
      bead.dependencies = deps;
      break;
    }
    case 'dep_remove':
      if (bead.dependencies) {
        bead.dependencies = bead.dependencies.filter((d) => !(d.depends_on_id === op.depends_on_id && d.type === op.dep_type));
        if (bead.dependencies.length === 0) delete bead.dependencies;
      }
      break;
    case 'comment': {
      const comments = bead.comments ?? [];
      const next = comments.reduce((m, c) => Math.max(m, c.id), 0) + 1;
      comments.push({ id: next, issue_id: bead.id, author: op.actor, text: op.text!, created_at: op.ts });
      bead.comments = comments;
      break;
    }
    case 'claim':
      // Conditional: only an unclaimed open bead, or one whose holder's lease ran out by this operation's time,
      // can be claimed; in the total order the first claim wins.
      if (isClaimable(bead, op.ts) || bead.assignee === op.actor) {
        bead.assignee = op.actor;
        if (bead.status === 'open' || bead.status === 'in_progress') bead.status = 'in_progress';
        const lease = typeof op.lease_ms === 'number' ? op.lease_ms : 0;
        if (lease > 0) bead.lease_expires_at = leaseEnd(op.ts, lease);
        else delete bead.lease_expires_at;
      } else touched = false;
      break;
    case 'heartbeat':
      if (bead.assignee === op.actor && bead.status === 'in_progress' && typeof op.lease_ms === 'number' && op.lease_ms > 0) {
        bead.lease_expires_at = leaseEnd(op.ts, op.lease_ms);
      } else touched = false;
      break;
    case 'release':
      delete bead.assignee;
      delete bead.lease_expires_at;
      if (bead.status === 'in_progress' || bead.status === 'hooked') bead.status = 'open';
      break;
    case 'close':
      delete bead.lease_expires_at;
      bead.status = 'closed';
      bead.closed_at = op.ts;
      if (op.reason) bead.close_reason = op.reason;
      else delete bead.close_reason;
      break;
    case 'reopen':
      bead.status = 'open';
      delete bead.closed_at;
      delete bead.close_reason;
      break;
    case 'delete':
      bead.status = 'tombstone';
      bead.deleted_at = op.ts;
      bead.deleted_by = op.actor;
      bead.delete_reason = op.reason ?? '';
      break;
    default:
      touched = false; // an operation kind from a newer version: kept in the log and history, not folded
  }
  if (touched) bead.updated_at = op.ts;
  return state;
}

/**
 * A `metadata` operation names only the keys it changes (null removes one), so each key is last-writer-wins
 * on its own and two clones that set different keys keep both. A `set` of the whole `metadata` field (what
 * writers before key-by-key merging wrote, and still what a create holds) replaces it whole, as it always did.
 */
function applyMetadataPatch(bead: Bead, patch: Record<string, unknown> | undefined): void {
  const metadata: Record<string, unknown> = { ...((bead.metadata as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === null) delete metadata[key];
    else defineKey(metadata, key, value);
  }
  if (Object.keys(metadata).length) bead.metadata = metadata;
  else delete bead.metadata;
}

/**
 * When a lease taken at `ts` for `ms` runs out. A stamp that is no real date (2026-13-45T99:99:99Z matches the
 * log's pattern; another clone's line may hold one) gives a lease already run out, the epoch: nobody can say
 * how long it holds, and work must not stay taken for ever (nor the fold throw on every read).
 */
function leaseEnd(ts: string, ms: number): string {
  const end = Date.parse(ts) + ms;
  return Number.isFinite(end) && Math.abs(end) <= 8.64e15 ? new Date(end).toISOString() : new Date(0).toISOString();
}

/** Whether a claim made at time `at` (ISO) takes the bead: nobody holds it, or the holder's lease ran out. */
export function isClaimable(bead: Bead, at: string): boolean {
  if (!bead.assignee) return bead.status === 'open' || bead.status === 'blocked' || bead.status === 'deferred';
  return bead.status === 'in_progress' && leaseExpired(bead, at);
}

export function leaseExpired(bead: Bead, at: string): boolean {
  return typeof bead.lease_expires_at === 'string' && Date.parse(bead.lease_expires_at) <= Date.parse(at);
}

/** The id a bead gets when its id collided with an earlier-created bead of another clone. */
export function collisionId(logId: string, originOpId: string, taken: (id: string) => boolean): string {
  for (let n = 4; n <= originOpId.length; n++) {
    const candidate = `${logId}~${originOpId.slice(0, n)}`;
    if (!taken(candidate)) return candidate;
  }
  return `${logId}~${originOpId}`;
}

/**
 * Folds every operation of one log id (in any order, duplicates allowed) into its bead states: normally one,
 * several when creates from different clones collided. The earliest create keeps the id.
 */
export function foldLogId(logId: string, ops: Op[], taken: (id: string) => boolean = () => false): BeadState[] {
  const seen = new Set<string>();
  const unique = ops.filter((o) => (seen.has(o.op_id) ? false : (seen.add(o.op_id), true)));
  unique.sort(compareOps);
  const creates = unique.filter((o) => o.kind === 'create');
  if (creates.length === 0) return [];
  const idByOrigin = new Map<string, string>();
  idByOrigin.set(creates[0]!.op_id, logId);
  for (const c of creates.slice(1)) {
    const id = collisionId(logId, c.op_id, (cand) => taken(cand) || [...idByOrigin.values()].includes(cand));
    idByOrigin.set(c.op_id, id);
  }
  const primary = creates[0]!.op_id;
  const states = new Map<string, BeadState | undefined>();
  for (const op of unique) {
    const origin = op.kind === 'create' ? op.op_id : op.origin && idByOrigin.has(op.origin) ? op.origin : primary;
    const id = idByOrigin.get(origin)!;
    states.set(origin, applyOp(states.get(origin), op, id));
  }
  return [...states.values()].filter((s): s is BeadState => s !== undefined);
}

/** Folds a whole set of operations into bead states keyed by bead id. */
export function foldOperations(ops: Iterable<Op>): Map<string, BeadState> {
  const byLogId = new Map<string, Op[]>();
  for (const op of ops) {
    const list = byLogId.get(op.bead);
    if (list) list.push(op);
    else byLogId.set(op.bead, [op]);
  }
  const out = new Map<string, BeadState>();
  for (const [logId, list] of byLogId) {
    for (const state of foldLogId(logId, list, (id) => byLogId.has(id) || out.has(id))) out.set(state.bead.id, state);
  }
  return out;
}
