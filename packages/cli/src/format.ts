// Text rendering of beads for people. JSON output never passes through here.
import type { Bead, BlockedBead, DepNode, DoctorReport, Op, StoreStats } from '@gastown/beads';

// Stored text may hold control characters (imported, or written before they were refused): printed raw, an
// escape sequence would repaint the terminal and a newline would break one line per bead. They are shown
// escaped: \n, \t, \r, else \xHH.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const escapeOne = (c: string): string => ({ '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** A value for one line of output: every control character escaped, newlines too. */
export function oneLine(text: unknown): string {
  return String(text ?? '').replace(CONTROL, escapeOne);
}

/** Text of several lines: newlines and tabs kept, every other control character escaped. */
export function textBlock(text: string): string {
  return text.replace(CONTROL_BUT_LINES, escapeOne);
}

export interface Columns {
  id: number;
  type: number;
}

/** Column widths that line up every bead of a list (ids and types vary in length: molecule, merge-request). */
export function columnsFor(beads: Bead[]): Columns {
  return beads.reduce((c, b) => ({ id: Math.max(c.id, b.id.length), type: Math.max(c.type, b.issue_type.length) }), { id: 0, type: 7 });
}

export function beadLine(b: Bead, cols: Columns = columnsFor([b])): string {
  const who = b.assignee ? ` @${oneLine(b.assignee)}` : '';
  const labels = b.labels?.length ? ` [${b.labels.map(oneLine).join(', ')}]` : '';
  return `${b.id.padEnd(cols.id)}  P${b.priority} ${oneLine(b.issue_type).padEnd(cols.type)} ${b.status.padEnd(11)} ${oneLine(b.title)}${who}${labels}`;
}

export function beadList(beads: Bead[], empty: string): string {
  const cols = columnsFor(beads);
  return beads.length ? beads.map((b) => beadLine(b, cols)).join('\n') : empty;
}

export function beadDetail(b: Bead): string {
  const l = oneLine;
  const lines = [`${b.id}: ${l(b.title)}`, `  status: ${b.status}   priority: P${b.priority}   type: ${l(b.issue_type)}${b.assignee ? `   assignee: ${l(b.assignee)}` : ''}`];
  lines.push(`  created: ${b.created_at}${b.created_by ? ` by ${l(b.created_by)}` : ''}   updated: ${b.updated_at}`);
  if (b.lease_expires_at) lines.push(`  lease until: ${b.lease_expires_at}`);
  if (b.closed_at) lines.push(`  closed: ${b.closed_at}${b.close_reason ? ` (${l(b.close_reason)})` : ''}`);
  if (b.deleted_at) lines.push(`  deleted: ${b.deleted_at} by ${l(b.deleted_by ?? '?')}${b.delete_reason ? ` (${l(b.delete_reason)})` : ''}`);
  if (b.defer_until) lines.push(`  deferred until: ${l(b.defer_until)}`);
  if (b.due_at) lines.push(`  due: ${l(b.due_at)}`);
  if (b.labels?.length) lines.push(`  labels: ${b.labels.map(l).join(', ')}`);
  if (b.external_ref) lines.push(`  external: ${l(b.external_ref)}`);
  for (const [name, text] of [['description', b.description], ['design', b.design], ['acceptance criteria', b.acceptance_criteria], ['notes', b.notes]] as const) {
    if (text) lines.push('', `  ${name}:`, ...textBlock(text).split('\n').map((line) => `    ${line}`));
  }
  if (b.dependencies?.length) {
    lines.push('', '  depends on:');
    for (const d of b.dependencies) lines.push(`    ${l(d.type)}: ${d.depends_on_id}`);
  }
  if (b.comments?.length) lines.push('', `  comments: ${b.comments.length} (bd comments ${b.id})`);
  return lines.join('\n');
}

export function blockedList(beads: BlockedBead[]): string {
  if (!beads.length) return 'Nothing is blocked.';
  const cols = columnsFor(beads);
  return beads.map((b) => `${beadLine(b, cols)}\n    blocked by: ${b.blocked_by.length ? b.blocked_by.join(', ') : `ancestor ${b.blocked_ancestor}`}`).join('\n');
}

export function treeText(node: DepNode, prefix = '', last = true, root = true): string {
  const head = root ? '' : `${prefix}${last ? '└── ' : '├── '}`;
  const line = `${head}${node.type && !root ? `(${oneLine(node.type)}) ` : ''}${node.id} [${node.status}] ${oneLine(node.title)}${node.repeated ? ' (shown above)' : ''}`;
  const childPrefix = root ? '' : prefix + (last ? '    ' : '│   ');
  return [line, ...node.children.map((c, i) => treeText(c, childPrefix, i === node.children.length - 1, false))].join('\n');
}

export function historyText(ops: Op[]): string {
  return ops
    .map((o) => {
      const what =
        o.kind === 'create' ? `created "${String(o.fields?.title ?? '')}"`
        : o.kind === 'set' ? `set ${Object.entries(o.fields ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' && v.length > 40 ? JSON.stringify(v.slice(0, 37) + '...') : JSON.stringify(v)}`).join(' ')}`
        : o.kind === 'label_add' ? `added label ${o.label}`
        : o.kind === 'label_remove' ? `removed label ${o.label}`
        : o.kind === 'dep_add' ? `added dependency ${o.dep_type} ${o.depends_on_id}`
        : o.kind === 'dep_remove' ? `removed dependency ${o.dep_type} ${o.depends_on_id}`
        : o.kind === 'comment' ? `commented: ${String(o.text).split('\n')[0]}`
        : o.kind === 'close' ? `closed${o.reason ? `: ${o.reason}` : ''}`
        : o.kind === 'claim' ? `claimed${o.lease_ms ? ` (lease ${Math.round(Number(o.lease_ms) / 1000)} s)` : ''}${o.takeover_from ? `, taking over from ${String(o.takeover_from)} whose lease ran out at ${String(o.lease_expired_at)}` : ''}`
        : o.kind === 'heartbeat' ? `renewed lease (${Math.round(Number(o.lease_ms) / 1000)} s)`
        : o.kind === 'delete' ? `deleted${o.reason ? `: ${o.reason}` : ''}`
        : o.kind === 'reopen' ? 'reopened'
        : o.kind === 'release' ? 'released'
        : o.kind === 'beads_event' ? `${String(o.event_type)} in Beads${o.comment ? `: ${String(o.comment)}` : ''}`
        : o.kind === 'gate' ? (o.forced ? `gates overridden: ${String(o.reason)}` : `gate ${o.passed ? 'passed' : 'FAILED'}: ${String(o.command)} (exit ${String(o.exit_code)}, ${String(o.duration_ms)} ms)`)
        : o.kind;
      return `${oneLine(o.ts)}  ${oneLine(o.actor)}  ${oneLine(what)}`;
    })
    .join('\n');
}

export function statsText(s: StoreStats): string {
  const pairs = (r: Record<string, number>): string => Object.entries(r).sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `beads: ${s.total} (${s.open} not closed, ${s.closed} closed; ${s.deleted} deleted)`,
    `ready: ${s.ready}   blocked: ${s.blocked}`,
    `by status: ${pairs(s.by_status)}`,
    `by type: ${pairs(s.by_type)}`,
    `by priority: ${pairs(Object.fromEntries(Object.entries(s.by_priority).map(([k, v]) => [`P${k}`, v])))}`,
    `median time to close: ${s.median_hours_to_close === null ? 'n/a' : `${s.median_hours_to_close} h`}`,
  ].join('\n');
}

export function doctorText(r: DoctorReport): string {
  const files = r.format >= 2 ? ` in ${r.files} file(s)` : '';
  const lines = [`${r.log}: ${r.lines} lines${files}, ${r.beads} beads (${r.deleted} deleted), max clock ${r.max_clock}`, `state hash: ${r.hash}`];
  const q = r.quarantined;
  if (q?.moved.length) {
    lines.push(`fixed: moved ${q.moved.length} corrupt line(s) to ${q.file}:`);
    for (const m of q.moved) lines.push(`  ${m.file}:${m.line}: ${m.message}`);
  } else if (q) lines.push('fixed: no corrupt line to move');
  for (const c of r.corrupt) lines.push(`error: ${c.file}:${c.line}: ${c.message}`);
  for (const [id, ids] of Object.entries(r.collisions)) lines.push(`note: id ${id} was created on more than one clone; kept as ${ids.join(', ')}`);
  for (const d of r.dangling_dependencies.slice(0, 20)) lines.push(`note: ${d.id} ${d.type} ${d.depends_on_id}, which does not exist`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(r.ok ? (r.warnings.some((w) => w.startsWith('the cache could not be written')) ? 'ok: the log is sound (the cache could not be rebuilt: see the warning)' : 'ok: caches rebuilt') : `problems: ${r.corrupt.length} corrupt line(s); bd doctor --fix moves them to .beads/ops.corrupt.jsonl`);
  return lines.join('\n');
}
