// Reading a Beads row as Beads means it. Its Dolt-era table dumps write every column: an empty column as
// null, a flag as 0/1, a JSON column (metadata) as a string of JSON, and a time in the form the SQL driver
// gave it. Each becomes what the store holds: an absent field, a boolean, an object, an ISO time.
import { BeadsError } from './errors.js';

/** Beads' TINYINT(1) columns: booleans stored as 0/1. */
const FLAGS = new Set(['pinned', 'ephemeral', 'is_template', 'no_history', 'is_blocked']);
/** Beads' JSON columns, which a table dump writes as a string of JSON. */
const JSON_COLUMNS = new Set(['metadata']);
/** Times the store reads; unknown time columns are kept as Beads wrote them. */
const TIMES = new Set(['created_at', 'updated_at', 'closed_at', 'defer_until', 'due_at', 'deleted_at']);
/** Fields where the empty string means "none" (the fold holds them absent), as Beads' NOT NULL DEFAULT '' columns do. */
const EMPTY_IS_ABSENT = new Set(['description', 'design', 'acceptance_criteria', 'notes', 'assignee', 'close_reason', 'external_ref', 'closed_at', 'defer_until', 'due_at', 'created_by']);

/** Fields whose schema takes '' and not null to clear them. */
const CLEARED_WITH_EMPTY = new Set(['description', 'design', 'acceptance_criteria', 'notes', 'assignee', 'close_reason']);

/** A problem with one field of a row, which the caller names with its file and line. */
export class RowProblem extends Error {}

/** `2026-03-02 10:00:00` (a DATETIME as the SQL driver prints it, in UTC) as ISO; anything else unchanged. */
export function isoTime(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(value);
  return m ? `${m[1]}T${m[2]}Z` : value;
}

/** A JSON column's value: an object, or undefined when it is empty ("{}", "", null). */
export function jsonColumn(key: string, value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return undefined;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new RowProblem(`invalid ${key}: not valid JSON (${(err as Error).message})`);
    }
  }
  if (parsed === null || parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new RowProblem(`invalid ${key} ${JSON.stringify(value)}: must be a JSON object`);
  return Object.keys(parsed).length ? (parsed as Record<string, unknown>) : undefined;
}

/** One object's columns read as Beads means them; nested rows (dependencies, comments) the same way. */
export function beadsRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(row)) {
    let value: unknown = raw;
    if (value === null) continue;
    if (FLAGS.has(key) && (value === 0 || value === 1)) value = value === 1;
    else if (JSON_COLUMNS.has(key)) value = jsonColumn(key, value);
    else if (TIMES.has(key)) value = isoTime(value);
    else if ((key === 'dependencies' || key === 'comments') && Array.isArray(value)) value = value.map((v) => (v !== null && typeof v === 'object' ? beadsRow(v as Record<string, unknown>) : v));
    if (value === undefined || (value === '' && EMPTY_IS_ABSENT.has(key))) continue;
    // defined, not assigned: a column named __proto__ stays a column
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * An update's field map (an event's new_value) read the same way, except that what a row leaves out, an
 * update clears: null and an empty string become null.
 */
export function beadsUpdate(update: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(update)) {
    const read = beadsRow({ [key]: value });
    // the store clears its text fields with '' (their schema takes no null), everything else with null
    const cleared = CLEARED_WITH_EMPTY.has(key) ? '' : null;
    Object.defineProperty(out, key, { value: key in read ? read[key] : cleared, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Why the store cannot take a dependency on another project's capability (Beads' `external:project:cap`). */
export function externalDependencyProblem(dependsOn: unknown): string | null {
  if (typeof dependsOn !== 'string' || !dependsOn.startsWith('external:')) return null;
  return `${dependsOn} is an external dependency (another project's capability), which this store cannot hold yet; remove it to import the rest`;
}

/** A row problem as the one error of an import, named by file and line. */
export function rowError(file: string, line: number, problem: string): BeadsError {
  return new BeadsError('invalid_input', `${file}:${line}: ${problem}`, { file, line });
}
