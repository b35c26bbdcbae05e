// Catching the cache up with operations appended to the log since it was written: each bead they name is
// advanced from its cached state, or refolded from all its operations when they arrived out of order (after a
// merge) or its id was created on two clones.
import { join } from 'node:path';
import { applyOp, compareStamp, foldLogId, type BeadState } from './fold.js';
import { applyChanges, type CacheReader } from './cache.js';
import { groupByLogId, readOps, type CorruptLine } from './log.js';
import { markOf, opsOfIds, type FileMark, type LogComparison } from './log-files.js';
import type { Op } from './types.js';

/**
 * Applies one log id's new operations (sorted) to its cached states. Returns the new states, or null when
 * the log id must be refolded: a create for an id already known, operations for an unknown one, or an
 * operation that sorts before what the cache already applied.
 */
function advance(reader: CacheReader, logId: string, ops: Op[], aliases: Record<string, string[]>, current: (id: string) => BeadState | undefined): Map<string, BeadState | undefined> | null {
  const known = reader.hasId(logId) || aliases[logId] !== undefined;
  if ((known && ops.some((o) => o.kind === 'create')) || (!known && ops[0]!.kind !== 'create')) return null;
  const staged = new Map<string, BeadState | undefined>();
  for (const op of ops) {
    let id = logId;
    if (aliases[logId] && op.origin) id = aliases[logId]!.find((a) => current(a)?.origin === op.origin) ?? logId;
    const before = staged.has(id) ? staged.get(id) : known ? current(id) : undefined;
    if (op.kind === 'create' ? before !== undefined || id !== logId : !before || compareStamp(op.lc, op.op_id, before.lc, before.op) <= 0) return null;
    // states read from the cache are fresh objects: mutating them is safe
    staged.set(id, applyOp(before, op, id));
  }
  return staged;
}

/**
 * Catches the cache up with the files of the log in `dir` that grew (new files read from their start); null
 * when so much must be refolded that a full rebuild is simpler.
 */
export function catchUp(reader: CacheReader, dir: string, { grown, names }: Pick<LogComparison, 'grown' | 'names'>, display: (name: string) => string): CacheReader | null {
  const meta = reader.meta;
  const newOps: Op[] = [];
  const newCorrupt: CorruptLine[] = [];
  const marks = new Map<string, FileMark>(meta.log.map((m) => [m.name, m]));
  for (const g of grown) {
    const chunk = readOps(join(dir, g.name), g.from, g.firstLine, display(g.name));
    for (const op of chunk.ops) newOps.push(op);
    for (const c of chunk.corrupt) newCorrupt.push(c);
    marks.set(g.name, markOf(dir, g.name, chunk.end, g.firstLine - 1 + chunk.lines, chunk.mtime));
  }
  // The files as compared, not as listed now: one a git pull writes meanwhile is the next catch-up's.
  const byLogId = groupByLogId(newOps);
  if (byLogId.size > 8) reader.manyLookups = true;
  // Many edits of existing beads: read their states from the hot index once rather than shard by shard.
  let existing = 0;
  for (const logId of byLogId.keys()) if (reader.hasId(logId) && ++existing > 16) break;
  if (existing > 16) void reader.hotIndex().headers;

  const changed = new Map<string, BeadState | null>();
  const current = (id: string): BeadState | undefined => (changed.has(id) ? (changed.get(id) ?? undefined) : reader.state(id));
  const aliases = { ...meta.aliases };
  const refold = new Set<string>();
  for (const [logId, ops] of byLogId) {
    ops.sort((a, b) => compareStamp(a.lc, a.op_id, b.lc, b.op_id));
    const staged = meta.orphans.includes(logId) ? null : advance(reader, logId, ops, aliases, current);
    if (!staged) refold.add(logId);
    else for (const [id, state] of staged) changed.set(id, state ?? null);
  }

  const orphans = new Set(meta.orphans);
  if (refold.size > 1000) return null;
  if (refold.size) {
    const grouped = opsOfIds(dir, refold, names);
    for (const logId of refold) {
      const before = aliases[logId] ?? [logId];
      const states = foldLogId(logId, grouped.get(logId) ?? [], (id) => id !== logId && !before.includes(id) && reader.hasId(id));
      if (states.length === 0) orphans.add(logId);
      else orphans.delete(logId);
      const after = states.map((s) => s.bead.id);
      for (const id of before) if (!after.includes(id) && reader.hasId(id)) changed.set(id, null);
      for (const s of states) changed.set(s.bead.id, s);
      if (states.length > 1) aliases[logId] = after;
      else delete aliases[logId];
    }
  }
  return applyChanges(reader, changed, {
    log: names.map((n) => marks.get(n)!),
    corrupt: [...meta.corrupt, ...newCorrupt],
    maxLc: newOps.reduce((m, o) => Math.max(m, o.lc), meta.maxLc),
    aliases,
    orphans: [...orphans].sort(),
  });
}
