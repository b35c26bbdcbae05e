// A Beads 1.x backup folder (what `bd backup` writes: one JSONL file per Dolt table, one row per line) read
// into the issue records an import writes, each with its labels, dependencies and comments, and the
// operations its events become. Every row is checked before anything is written; the first bad one refuses
// the whole folder, named by file and line.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BeadsError } from './errors.js';
import { beadsRow, externalDependencyProblem, isoTime, RowProblem } from './beads-rows.js';
import { historyDrafts, type TimelineRow } from './beads-history.js';
import { isoTimeProblem } from './dates.js';
import { schemaProblem } from './validate.js';
import type { OpDraft } from './store.js';

export const BACKUP_TABLES = ['issues', 'dependencies', 'labels', 'comments', 'events', 'config'] as const;

export interface BackupContents {
  records: Record<string, unknown>[];
  /** For each issue with events: the operations that rebuild it, used when the store does not hold it yet. */
  histories: Map<string, OpDraft[]>;
  /** config.jsonl as key and value: Beads' settings, reported, not applied (they mean nothing here). */
  config: Record<string, unknown>;
}

/** The rows of one table file (none when the file is absent), each with its line number. */
function tableRows(dir: string, table: string, shown: string): TimelineRow[] {
  const path = join(dir, `${table}.jsonl`);
  const file = join(shown, `${table}.jsonl`);
  if (!existsSync(path)) return [];
  const rows: TimelineRow[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((text, i) => {
    if (!text.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (err) {
      throw new BeadsError('invalid_input', `${file}:${i + 1}: not valid JSON (${(err as Error).message})`, { file, line: i + 1 });
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new BeadsError('invalid_input', `${file}:${i + 1}: not a row (a JSON object)`, { file, line: i + 1 });
    rows.push({ row: row as Record<string, unknown>, file, line: i + 1 });
  });
  return rows;
}

function refuse(at: TimelineRow, problem: string): never {
  const id = typeof at.row.issue_id === 'string' ? `${at.row.issue_id}: ` : '';
  throw new BeadsError('invalid_input', `${at.file}:${at.line}: ${id}${problem.replace(/^invalid bead /, 'invalid issue_id ')}`, { file: at.file, line: at.line });
}

/** The row read as Beads means it, with its issue_id one of the issues. */
function ownRow(at: TimelineRow, issues: Map<string, Record<string, unknown>>): Record<string, unknown> {
  let row: Record<string, unknown>;
  try {
    row = beadsRow(at.row);
  } catch (err) {
    if (err instanceof RowProblem) refuse(at, err.message);
    throw err;
  }
  if (typeof row.issue_id !== 'string') refuse(at, 'issue_id is required');
  if (!issues.has(row.issue_id)) refuse(at, `issue ${row.issue_id} is not in issues.jsonl`);
  return row;
}

/** A draft checked as the operation it stands for (label_add, dep_add, comment), its problem named. */
function checkAs(at: TimelineRow, op: Record<string, unknown>, within = ''): void {
  const problem = schemaProblem('validateOp', { op_id: '00000000', bead: at.row.issue_id, actor: 'import', ts: '2000-01-01', lc: 0, ...op });
  // named as the row's own column (depends_on_id), not the place the check put it (dependencies.0.depends_on_id)
  if (problem) refuse(at, within ? problem.split(within).join('') : problem);
}

export function readBackup(dir: string, shown: string, importer: string, parseIssues: (text: string, file: string) => Record<string, unknown>[]): BackupContents {
  const issuesPath = join(dir, 'issues.jsonl');
  if (!existsSync(issuesPath)) throw new BeadsError('not_found', `${shown} is a folder but not a Beads backup: it has no issues.jsonl (a backup holds ${BACKUP_TABLES.map((t) => `${t}.jsonl`).join(', ')})`);
  const records = parseIssues(readFileSync(issuesPath, 'utf8'), join(shown, 'issues.jsonl'));
  const issues = new Map(records.map((r) => [r.id as string, r]));
  const add = (id: string, key: string, value: unknown): void => {
    const rec = issues.get(id)!;
    if (Array.isArray(rec[key])) (rec[key] as unknown[]).push(value);
    else rec[key] = [value];
  };
  const listIn = <T>(map: Map<string, T[]>, id: string): T[] => {
    let list = map.get(id);
    if (!list) map.set(id, (list = []));
    return list;
  };
  // The tables hold what an issue row does not; a row that also carries them is given the tables' rows.
  const given = new Set<string>();
  const fresh = (id: string, key: string): void => {
    if (given.has(`${id} ${key}`)) return;
    given.add(`${id} ${key}`);
    delete issues.get(id)![key];
  };

  for (const at of tableRows(dir, 'labels', shown)) {
    const row = ownRow(at, issues);
    checkAs(at, { kind: 'label_add', label: row.label });
    fresh(row.issue_id as string, 'labels');
    add(row.issue_id as string, 'labels', row.label);
  }
  for (const at of tableRows(dir, 'dependencies', shown)) {
    const { issue_id, depends_on_issue_id, depends_on_wisp_id, depends_on_external, ...dep } = ownRow(at, issues);
    // Newer schemas split the target in three columns, one of them set.
    if (dep.depends_on_id === undefined) dep.depends_on_id = depends_on_issue_id ?? depends_on_wisp_id ?? depends_on_external;
    const external = externalDependencyProblem(dep.depends_on_id);
    if (external) refuse(at, external);
    checkAs(at, { kind: 'create', fields: { title: 'x', dependencies: [dep] } }, 'dependencies.0.');
    fresh(issue_id as string, 'dependencies');
    add(issue_id as string, 'dependencies', dep);
  }
  const comments = new Map<string, TimelineRow[]>();
  for (const at of tableRows(dir, 'comments', shown)) {
    const { issue_id, id: _tableId, ...comment } = ownRow(at, issues);
    comment.created_at = isoTime(comment.created_at);
    if (typeof comment.created_at !== 'string') refuse(at, 'created_at is required');
    const timeProblem = isoTimeProblem(comment.created_at);
    if (timeProblem) refuse(at, `invalid created_at ${JSON.stringify(comment.created_at)}: ${timeProblem}`);
    checkAs(at, { kind: 'comment', text: comment.text, ...(typeof comment.author === 'string' && comment.author ? { actor: comment.author } : {}) });
    fresh(issue_id as string, 'comments');
    // Numbered within the issue, as comments are here (Beads' id numbers the whole table).
    const own = listIn(comments, issue_id as string);
    own.push({ row: { ...comment, issue_id }, file: at.file, line: at.line });
    add(issue_id as string, 'comments', { id: own.length, ...comment });
  }
  const events = new Map<string, TimelineRow[]>();
  for (const at of tableRows(dir, 'events', shown)) {
    listIn(events, ownRow(at, issues).issue_id as string).push(at);
  }
  const config: Record<string, unknown> = {};
  for (const at of tableRows(dir, 'config', shown)) {
    if (typeof at.row.key !== 'string' || !at.row.key) refuse(at, 'key is required');
    Object.defineProperty(config, at.row.key, { value: at.row.value, enumerable: true, writable: true, configurable: true });
  }

  const histories = new Map<string, OpDraft[]>();
  for (const rec of records) {
    const drafts = historyDrafts(rec, events.get(rec.id as string) ?? [], comments.get(rec.id as string) ?? [], importer);
    if (drafts) histories.set(rec.id as string, drafts);
  }
  return { records, histories, config };
}
