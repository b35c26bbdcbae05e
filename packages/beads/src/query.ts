// Listing, searching and counting beads. Beads not closed come from the small hot index; anything that
// includes closed beads reads every shard.
import { BeadsError } from './errors.js';
import type { BeadStore } from './store.js';
import { resolveIdIn } from './store.js';
import { matchesFilter, normalizeFilter, type BeadFilter } from './filter.js';
import { readyBeads, blockedBeads } from './ready.js';
import type { Bead } from './types.js';
import type { CacheReader } from './cache.js';
import { H, ancestorsIn, headerOrder } from './hot-index.js';

function byPriorityThenAge(a: Bead, b: Bead): number {
  return a.priority - b.priority || (Date.parse(a.created_at) || 0) - (Date.parse(b.created_at) || 0) || (a.id < b.id ? -1 : 1);
}

/** Is a bead under `ancestor`? Hot beads carry their ancestors; closed ones walk the parent list. */
function descendantTest(view: CacheReader, ancestor: string): (bead: Bead) => boolean {
  const hot = view.hotIndex();
  const memo = new Map<string, boolean>([[ancestor, true]]);
  const walk = (id: string, depth: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    memo.set(id, false);
    const h = hot.get(id);
    const result = h ? ancestorsIn(h).includes(ancestor) : depth < 1000 && (view.parentsOf(id) ?? []).some((p) => walk(p, depth + 1));
    memo.set(id, result);
    return result;
  };
  return (bead) => bead.id !== ancestor && walk(bead.id, 0);
}

/**
 * A cheap test on a bead's JSON text (as the cache stores it, JSON.stringify's spelling) before it is parsed:
 * false only when a field the filter needs cannot be there. Undefined when the filter gives nothing to test.
 */
function textTest(filter: BeadFilter): ((json: string) => boolean) | undefined {
  const groups: string[][] = []; // each group: one of its needles must occur
  if (filter.status) groups.push(filter.status.map((v) => `"status":${JSON.stringify(v)}`));
  if (filter.issue_type) groups.push(filter.issue_type.map((v) => `"issue_type":${JSON.stringify(v)}`));
  if (filter.assignee) groups.push([`"assignee":${JSON.stringify(filter.assignee)}`]);
  for (const label of filter.labels ?? []) groups.push([JSON.stringify(label)]);
  return groups.length ? (json) => groups.every((g) => g.some((needle) => json.includes(needle))) : undefined;
}

/** Beads matching the filter; closed ones only with `all` or an explicit status; deleted ones never. */
export function listBeads(store: BeadStore, rawFilter: BeadFilter = {}): Bead[] {
  const filter = normalizeFilter(rawFilter);
  return store.read((view) => {
    const wantsClosed = filter.all || filter.status?.includes('closed');
    const under = filter.parent ? descendantTest(view, resolveIdIn(view, store.idPrefix, filter.parent)) : null;
    const out: Bead[] = [];
    const consider = (bead: Bead): void => {
      if (bead.status === 'tombstone') return;
      if (!wantsClosed && bead.status === 'closed') return;
      if (!matchesFilter(bead, filter)) return;
      if (under && !under(bead)) return;
      out.push(bead);
    };
    if (!wantsClosed) {
      // Status, type, priority and the order are in the headers: the beads that can match are taken in order,
      // and only as many are parsed as the limit needs.
      const hot = view.hotIndex();
      const headers = [...hot.headers.values()].filter((h) => (!filter.status || filter.status.includes(h[H.status])) && (!filter.issue_type || filter.issue_type.includes(h[H.type])) && (!filter.priority || filter.priority.includes(h[H.priority])));
      headers.sort(headerOrder);
      const many = !filter.limit || filter.limit > 50;
      for (const h of headers) {
        consider(hot.bead(h, many));
        if (filter.limit && out.length >= filter.limit) break;
      }
      return out;
    }
    for (const state of view.allStates(textTest(filter))) consider(state.bead);
    out.sort(byPriorityThenAge);
    return filter.limit ? out.slice(0, filter.limit) : out;
  });
}

/** Case-insensitive search in id, title, description, design, notes and acceptance criteria. */
export function searchBeads(store: BeadStore, query: string, rawFilter: BeadFilter = {}): Bead[] {
  if (!query.trim()) throw new BeadsError('invalid_input', 'give the text to search for (bd list lists every bead)');
  const needle = query.toLowerCase();
  const filter = normalizeFilter(rawFilter);
  return store.read((view) => {
    const out: Bead[] = [];
    const fields = ['id', 'title', 'description', 'design', 'notes', 'acceptance_criteria'] as const;
    // A bead can only match if its text holds the words, unless JSON spells them otherwise (quotes, backslashes,
    // control characters are escaped).
    const byFilter = textTest(filter);
    const plain = !/["\\\u0000-\u001f]/.test(needle);
    const maybe = (json: string): boolean => (!byFilter || byFilter(json)) && (!plain || json.toLowerCase().includes(needle));
    for (const { bead } of view.allStates(maybe)) {
      if (bead.status === 'tombstone') continue;
      if (!matchesFilter(bead, filter)) continue;
      if (fields.some((f) => typeof bead[f] === 'string' && (bead[f] as string).toLowerCase().includes(needle))) out.push(bead);
    }
    out.sort(byPriorityThenAge);
    return filter.limit ? out.slice(0, filter.limit) : out;
  });
}

export interface StoreStats {
  total: number;
  by_status: Record<string, number>;
  by_type: Record<string, number>;
  by_priority: Record<string, number>;
  open: number;
  closed: number;
  deleted: number;
  ready: number;
  blocked: number;
  /** Median hours from creation to close, over closed beads. */
  median_hours_to_close: number | null;
}

export function storeStats(store: BeadStore): StoreStats {
  const stats: StoreStats = { total: 0, by_status: {}, by_type: {}, by_priority: {}, open: 0, closed: 0, deleted: 0, ready: 0, blocked: 0, median_hours_to_close: null };
  const durations: number[] = [];
  for (const { bead } of store.allStates()) {
    if (bead.status === 'tombstone') {
      stats.deleted++;
      continue;
    }
    stats.total++;
    stats.by_status[bead.status] = (stats.by_status[bead.status] ?? 0) + 1;
    stats.by_type[bead.issue_type] = (stats.by_type[bead.issue_type] ?? 0) + 1;
    stats.by_priority[String(bead.priority)] = (stats.by_priority[String(bead.priority)] ?? 0) + 1;
    if (bead.status === 'closed') {
      stats.closed++;
      if (bead.closed_at) {
        const hours = (Date.parse(bead.closed_at) - Date.parse(bead.created_at)) / 3_600_000;
        if (Number.isFinite(hours) && hours >= 0) durations.push(hours);
      }
    } else stats.open++;
  }
  stats.ready = readyBeads(store).length;
  stats.blocked = blockedBeads(store).length;
  durations.sort((a, b) => a - b);
  if (durations.length) stats.median_hours_to_close = Math.round(durations[Math.floor(durations.length / 2)]! * 100) / 100;
  return stats;
}

/** Beads not closed (nor deleted) that sit under `id` by parent-child, at any depth. */
export function openDescendants(view: CacheReader, id: string): string[] {
  const hot = view.hotIndex();
  const out: string[] = [];
  for (const h of hot.headers.values()) if (ancestorsIn(h).includes(id)) out.push(h[0]);
  return out;
}
