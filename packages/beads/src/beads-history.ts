// A Beads issue's events table as its history here: each event one operation with the event's own actor and
// time, so `bd history` shows who did what before the import and how long it took. Events that change state
// (claimed, status_changed, updated, closed, reopened) fold; the rest (labels, dependencies, a comment Beads
// kept only as an event, kinds this store does not know) are kept as `beads_event` operations, which history
// shows and the fold passes over. The issue row is the truth: whatever the events leave unexplained is set by
// one last operation of the importer, at the row's updated_at, so the fold ends exactly at the row.
import { BeadsError } from './errors.js';
import { applyOp, isClaimable } from './fold.js';
import { beadsRow, beadsUpdate, isoTime, RowProblem } from './beads-rows.js';
import { canonicalBead } from './record.js';
import { schemaProblem } from './validate.js';
import { isoTimeProblem } from './dates.js';
import type { OpDraft } from './store.js';
import type { Bead, Op } from './types.js';

/** One row of events.jsonl or comments.jsonl, with where it came from. */
export interface TimelineRow {
  row: Record<string, unknown>;
  file: string;
  line: number;
}

/** The fields the first event's old value (the issue before it) says the issue started with. */
const STARTING = ['title', 'description', 'design', 'acceptance_criteria', 'notes', 'status', 'priority', 'issue_type', 'assignee', 'external_ref'];
/** Lifecycle fields the create leaves to the events (and the last operation). */
const LATER = new Set(['status', 'assignee', 'closed_at', 'close_reason', 'comments', 'updated_at', 'lease_expires_at']);
const UNKNOWN_ACTOR = 'unknown';

function problemAt(at: TimelineRow, problem: string): BeadsError {
  return new BeadsError('invalid_input', `${at.file}:${at.line}: ${String(at.row.issue_id)}: ${problem}`, { file: at.file, line: at.line });
}

/** A JSON value column (old_value, new_value) as an object, or undefined when it holds none. */
function objectIn(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string' || !value.trim().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stamped(drafts: OpDraft[], importer: string): Op[] {
  return drafts.map((d, i) => ({ ...d, op_id: String(i + 1).padStart(8, '0'), lc: i + 1, actor: d.actor ?? importer, ts: d.ts! }) as Op);
}

function fold(id: string, ops: Op[]): Bead {
  let state = applyOp(undefined, ops[0]!, id);
  for (const op of ops.slice(1)) state = applyOp(state, op, id);
  return state!.bead;
}

function checked(draft: OpDraft, importer: string, at: TimelineRow): OpDraft {
  const problem = schemaProblem('validateOp', stamped([draft], importer)[0]);
  if (problem) throw problemAt(at, problem);
  return draft;
}

/** What the issue looked like when created: the row, with the first event's old value for its starting fields. */
function createFields(target: Record<string, unknown>, events: TimelineRow[]): Record<string, unknown> {
  const { id: _id, ...rest } = target;
  const fields: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([k]) => !LATER.has(k)));
  fields.status = 'open';
  fields.created_by = target.created_by ?? null;
  const before = events.map((e) => objectIn(e.row.old_value)).find((o) => o && typeof o.title === 'string');
  if (before) {
    const known = beadsRow(Object.fromEntries(STARTING.filter((k) => k in before).map((k) => [k, before[k]])));
    // a starting value the schema refuses is left out: it is history, and the row stands
    for (const [k, v] of Object.entries(known)) if (!schemaProblem('validateOp', { op_id: '00000000', bead: 'x-x', kind: 'set', actor: 'a', ts: '2000-01-01', lc: 0, fields: { [k]: v } })) fields[k] = v;
  }
  return fields;
}

/** The operation one event becomes, given the state the events so far have folded to. */
function eventDraft(id: string, at: TimelineRow, state: Bead): OpDraft {
  const { row } = at;
  const actor = typeof row.actor === 'string' && row.actor ? row.actor : UNKNOWN_ACTOR;
  const ts = String(row.created_at);
  const type = String(row.event_type);
  const next = objectIn(row.new_value);
  const base = { bead: id, actor, ts };
  if (type === 'claimed') return isClaimable(state, ts) || state.assignee === actor ? { ...base, kind: 'claim' } : { ...base, kind: 'set', fields: { assignee: actor, status: 'in_progress' } };
  if (type === 'closed') {
    const reason = typeof row.comment === 'string' && row.comment ? row.comment : typeof next?.close_reason === 'string' && next.close_reason ? next.close_reason : undefined;
    return { ...base, kind: 'close', ...(reason ? { reason } : {}) };
  }
  if (type === 'reopened') return { ...base, kind: 'reopen' };
  if (type === 'status_changed' || type === 'updated') {
    let fields: Record<string, unknown> | undefined;
    try {
      fields = next ? beadsUpdate(next) : type === 'status_changed' && typeof row.new_value === 'string' && row.new_value ? { status: row.new_value } : undefined;
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      throw problemAt(at, `new_value: ${err.message}`);
    }
    if (fields) {
      delete fields.id;
      delete fields.updated_at;
      // A deletion is the row's to say, last: after it, the fold would pass over every later event.
      if (Object.keys(fields).length && fields.status !== 'tombstone') return { ...base, kind: 'set', fields };
    }
  }
  const kept = Object.fromEntries(['id', 'old_value', 'new_value', 'comment'].filter((k) => row[k] !== null && row[k] !== undefined && row[k] !== '').map((k) => [k === 'id' ? 'event_id' : k, row[k]]));
  return { ...base, kind: 'beads_event', event_type: type, ...kept };
}

/** Checks an event or comment row's own columns before it becomes an operation. */
function checkRow(at: TimelineRow, timeColumn: string): void {
  const when = at.row[timeColumn];
  if (typeof when !== 'string') throw problemAt(at, `${timeColumn} is required`);
  const problem = isoTimeProblem(when);
  if (problem) throw problemAt(at, `invalid ${timeColumn} ${JSON.stringify(when)}: ${problem}`);
}

/**
 * The operations that rebuild one issue from its events and comments, ending at `target` (the issue as its
 * rows give it). Null when the issue has no events: then one create says all there is.
 */
export function historyDrafts(target: Record<string, unknown>, events: TimelineRow[], comments: TimelineRow[], importer: string): OpDraft[] | null {
  if (events.length === 0) return null;
  const id = target.id as string;
  for (const e of events) {
    if (typeof e.row.event_type !== 'string' || !/^[a-z][a-z_]*$/.test(e.row.event_type)) throw problemAt(e, `invalid event_type ${JSON.stringify(e.row.event_type)}`);
    e.row.created_at = isoTime(e.row.created_at);
    checkRow(e, 'created_at');
  }
  const created = events.find((e) => e.row.event_type === 'created');
  const createActor = (created && typeof created.row.actor === 'string' && created.row.actor) || (typeof target.created_by === 'string' && target.created_by) || importer;
  const drafts: OpDraft[] = [{ bead: id, kind: 'create', actor: createActor, ts: String(target.created_at ?? created?.row.created_at), fields: createFields(target, events) }];

  // A commented event whose text a comment row holds is that comment: it comes once, as the comment.
  const unclaimed = [...comments];
  const said = new Set<TimelineRow>();
  for (const e of events) {
    if (e.row.event_type !== 'commented') continue;
    const i = unclaimed.findIndex((c) => c.row.text === e.row.comment);
    if (i >= 0) {
      said.add(e);
      unclaimed.splice(i, 1);
    }
  }
  const timeline = [...events.filter((e) => e !== created && !said.has(e)).map((at) => ({ at, comment: false })), ...comments.map((at) => ({ at, comment: true }))].map((t, order) => ({ ...t, order, when: Date.parse(String(t.at.row.created_at)) }));
  timeline.sort((a, b) => a.when - b.when || a.order - b.order);

  // Folded as it is built: a claim depends on the state the events before it left.
  const replay = applyOp(undefined, stamped(drafts, importer)[0]!, id)!;
  for (const { at, comment } of timeline) {
    const draft = comment
      ? { bead: id, kind: 'comment', actor: typeof at.row.author === 'string' && at.row.author ? at.row.author : UNKNOWN_ACTOR, ts: String(at.row.created_at), text: at.row.text as string }
      : eventDraft(id, at, replay.bead);
    drafts.push(checked(draft, importer, at));
    applyOp(replay, { ...stamped([draft], importer)[0]!, lc: drafts.length, op_id: String(drafts.length).padStart(8, '0') }, id);
  }
  const state = replay.bead;

  // What the events leave unexplained, set by the importer at the row's time: status first, since leaving
  // closed clears closed_at and close_reason, which the row may then give again.
  const want = canonicalBead(fold(id, stamped([{ bead: id, kind: 'create', ts: String(target.created_at), fields: { ...target, created_by: target.created_by ?? null } }], importer)));
  const have = canonicalBead(state);
  const fields: Record<string, unknown> = {};
  const keys = ['status', ...new Set([...Object.keys(want), ...Object.keys(have)])].filter((k, i, all) => k !== 'id' && all.indexOf(k) === i);
  for (const k of keys) if (JSON.stringify(want[k]) !== JSON.stringify(have[k])) fields[k] = want[k] ?? null;
  if (Object.keys(fields).length) drafts.push({ bead: id, kind: 'set', actor: importer, ts: want.updated_at, fields });
  if (JSON.stringify(canonicalBead(fold(id, stamped(drafts, importer)))) !== JSON.stringify(want)) {
    throw new BeadsError('internal', `the history of ${id} does not fold to its row; please report this with the backup's events for ${id}`, { id });
  }
  return drafts;
}
