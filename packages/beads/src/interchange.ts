// Import from and export to the Beads tracker's JSONL format: one issue snapshot per line with embedded
// dependencies, labels and comments; tombstones for deleted issues; unknown types and fields kept. An import
// also reads a Beads 1.x backup folder (beads-backup.ts), whose events become history.
import { readFileSync, statSync } from 'node:fs';
import { BeadsError } from './errors.js';
import { beadsRow, externalDependencyProblem, RowProblem } from './beads-rows.js';
import { readBackup } from './beads-backup.js';
import { canonicalBead } from './record.js';
import { schemaProblem } from './validate.js';
import type { BeadStore, OpDraft } from './store.js';
import type { Bead } from './types.js';

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  operations: number;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Parses a Beads export; every bad line is reported with its number before anything is written. */
export function parseExport(text: string, file: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      problems.push(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
      return;
    }
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
      problems.push(`${file}:${i + 1}: not an issue (a JSON object)`);
      return;
    }
    // Read as Beads means it: null is an absent field, 0/1 flags are booleans, metadata may be a JSON string.
    try {
      rec = beadsRow(rec);
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      problems.push(`${file}:${i + 1}: ${typeof rec.id === 'string' ? `${rec.id}: ` : ''}${err.message}`);
      return;
    }
    const external = Array.isArray(rec.dependencies) ? rec.dependencies.map((d: Record<string, unknown>) => externalDependencyProblem(d?.depends_on_id)).find(Boolean) : null;
    if (typeof rec.id !== 'string') problems.push(`${file}:${i + 1}: missing id`);
    else if (external) problems.push(`${file}:${i + 1}: ${rec.id}: ${external}`);
    else {
      // Checked as the create operation it will become, against the same schema the write uses.
      const { id, ...fields } = rec;
      const problem = schemaProblem('validateOp', { op_id: '00000000', bead: id, kind: 'create', actor: 'import', ts: '2000-01-01', lc: 0, fields });
      if (problem) problems.push(`${file}:${i + 1}: ${id}: ${problem.replace(/^invalid bead /, 'invalid id ')}`);
      else records.push(rec);
    }
  });
  if (problems.length) throw new BeadsError('invalid_input', problems.length === 1 ? problems[0]! : `${problems.length} invalid lines in ${file}; first: ${problems[0]}`, { problems: problems.slice(0, 50) });
  return records;
}

/**
 * Imports records: new ids are created, existing ones get the fields that differ (a tombstone is just the
 * status `tombstone` with its deleted_* fields). One atomic append; re-importing the same file changes nothing.
 */
export function importRecords(store: BeadStore, actor: string, records: Record<string, unknown>[], histories: ReadonlyMap<string, OpDraft[]> = new Map()): ImportResult {
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, deleted: 0, operations: 0 };
  store.write(actor, (view) => {
    const ops: OpDraft[] = [];
    for (const rec of records) {
      const id = rec.id as string;
      const { id: _id, ...fields } = rec;
      const existing = view.state(id);
      const ts = typeof rec.updated_at === 'string' ? rec.updated_at : undefined;
      if (!existing) {
        const history = histories.get(id);
        if (history) {
          ops.push(...history);
          result.created++;
          if (rec.status === 'tombstone') result.deleted++;
          continue;
        }
        // a snapshot without created_by stays without one, rather than naming the importer
        ops.push({ bead: id, kind: 'create', fields: { ...fields, created_by: fields.created_by ?? null }, ...(typeof rec.created_by === 'string' && rec.created_by ? { actor: rec.created_by } : {}), ...(typeof rec.created_at === 'string' ? { ts: rec.created_at } : {}) });
        result.created++;
        if (rec.status === 'tombstone') result.deleted++;
        continue;
      }
      const changed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields)) if (k !== 'updated_at' && !same(normalised(k, existing.bead[k]), normalised(k, v))) changed[k] = v;
      for (const k of Object.keys(existing.bead)) if (!(k in rec) && !DERIVED.has(k)) changed[k] = null;
      if (Object.keys(changed).length === 0) {
        result.unchanged++;
        continue;
      }
      ops.push({ bead: existing.logId, origin: existing.origin, kind: 'set', fields: changed, ...(ts ? { ts } : {}) });
      result.updated++;
      if (rec.status === 'tombstone' && existing.bead.status !== 'tombstone') result.deleted++;
    }
    result.operations = ops.length;
    return { ops };
  });
  return result;
}

/** Fields the fold fills in itself; a record that lacks them is not asking to clear them. */
const DERIVED = new Set(['id', 'created_at', 'created_by', 'updated_at', 'status', 'priority', 'issue_type', 'title']);

/** Compares labels as sets and dependencies/comments by their content, as the fold stores them. */
function normalised(key: string, value: unknown): unknown {
  if (key === 'labels' && Array.isArray(value)) return [...value].sort();
  if (key === 'dependencies' && Array.isArray(value)) return value.map((d: Record<string, unknown>) => `${String(d.depends_on_id)} ${String(d.type)}`).sort();
  if (key === 'comments' && Array.isArray(value)) return value.map((c: Record<string, unknown>) => `${String(c.author)} ${String(c.text)}`);
  return value;
}

/**
 * Imports a Beads JSONL export (v0.x or 1.x), or a Beads 1.x backup folder (issues, dependencies, labels,
 * comments, events and config as JSONL tables) whose events become each new bead's history.
 */
export function importFile(store: BeadStore, actor: string, path: string): ImportResult & { config?: Record<string, unknown> } {
  const unreadable = (err: unknown): BeadsError => new BeadsError('not_found', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch (err) {
    throw unreadable(err);
  }
  if (folder) {
    const backup = readBackup(path, path, actor, parseExport);
    return { ...importRecords(store, actor, backup.records, backup.histories), config: backup.config };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(err);
  }
  return importRecords(store, actor, parseExport(text, path));
}

/** One Beads-format snapshot per bead (tombstones included), sorted by id. */
export function exportRecords(store: BeadStore, options: { includeDeleted?: boolean } = {}): Bead[] {
  const out: Bead[] = [];
  for (const { bead } of store.allStates()) {
    if (bead.status === 'tombstone' && options.includeDeleted === false) continue;
    out.push(canonicalBead(bead));
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}
