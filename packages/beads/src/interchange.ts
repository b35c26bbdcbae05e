// Import from and export to the Beads tracker's JSONL format: one issue snapshot per line with embedded
// dependencies, labels and comments; tombstones for deleted issues; unknown types and fields kept.
import { readFileSync } from 'node:fs';
import { BeadsError } from './errors.js';
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

const STAMP_FIELDS = new Set(['id', 'updated_at']);
const TOMBSTONE_FIELDS = new Set(['deleted_at', 'deleted_by', 'delete_reason']);

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
    if (typeof rec.id !== 'string') problems.push(`${file}:${i + 1}: missing id`);
    else {
      const { id: _id, deleted_at: _a, deleted_by: _b, delete_reason: _c, ...fields } = rec;
      const problem = schemaProblem('validateFields', fields) ?? (typeof rec.title !== 'string' || !rec.title ? 'title is required' : null);
      if (problem) problems.push(`${file}:${i + 1}: ${rec.id}: ${problem}`);
      else records.push(rec);
    }
  });
  if (problems.length) throw new BeadsError('invalid_input', problems.length === 1 ? problems[0]! : `${problems.length} invalid lines in ${file}; first: ${problems[0]}`, { problems: problems.slice(0, 50) });
  return records;
}

/** Imports records: new ids are created, existing ones get the fields that differ. One atomic append. */
export function importRecords(store: BeadStore, actor: string, records: Record<string, unknown>[]): ImportResult {
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, deleted: 0, operations: 0 };
  store.write(actor, (view) => {
    const ops: OpDraft[] = [];
    for (const rec of records) {
      const id = rec.id as string;
      const tombstone = rec.status === 'tombstone';
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rec)) if (!STAMP_FIELDS.has(k) && !TOMBSTONE_FIELDS.has(k)) fields[k] = v;
      if (tombstone) fields.status = 'closed';
      const existing = view.state(id);
      const ts = typeof rec.updated_at === 'string' ? rec.updated_at : undefined;
      if (!existing) {
        ops.push({ bead: id, kind: 'create', fields: { ...fields, ...(rec.updated_at ? { updated_at: rec.updated_at } : {}) }, ...(typeof rec.created_by === 'string' ? { actor: rec.created_by } : {}), ...(typeof rec.created_at === 'string' ? { ts: rec.created_at } : {}) });
        result.created++;
      } else {
        const changed: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(fields)) if (k !== 'status' && !same(existing.bead[k], v)) changed[k] = v;
        if (!tombstone && existing.bead.status !== rec.status) changed.status = rec.status;
        if (Object.keys(changed).length) {
          ops.push({ bead: existing.logId, origin: existing.origin, kind: 'set', fields: changed, ...(ts ? { ts } : {}) });
          result.updated++;
        } else if (!tombstone || existing.bead.status === 'tombstone') result.unchanged++;
      }
      if (tombstone && view.state(id)?.bead.status !== 'tombstone') {
        const target = existing ? { bead: existing.logId, origin: existing.origin } : { bead: id };
        ops.push({ ...target, kind: 'delete', reason: String(rec.delete_reason ?? ''), ...(typeof rec.deleted_by === 'string' ? { actor: rec.deleted_by } : {}), ...(typeof rec.deleted_at === 'string' ? { ts: rec.deleted_at } : {}) });
        result.deleted++;
      }
    }
    result.operations = ops.length;
    return { ops };
  });
  return result;
}

export function importFile(store: BeadStore, actor: string, file: string): ImportResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BeadsError('not_found', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return importRecords(store, actor, parseExport(text, file));
}

/** One Beads-format snapshot per bead (tombstones included), sorted by id. */
export function exportRecords(store: BeadStore, options: { includeDeleted?: boolean } = {}): Bead[] {
  const out: Bead[] = [];
  for (const { bead } of store.view().allStates()) {
    if (bead.status === 'tombstone' && options.includeDeleted === false) continue;
    out.push(canonicalBead(bead));
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}
