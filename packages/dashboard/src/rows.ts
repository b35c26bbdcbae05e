// The panes and their rows: what each pane lists from a Snapshot, and the filter (`/`): words that must all
// appear, `rig:NAME` and `status:S`. Pure; memoised by the snapshot's list a pane reads (a refresh that left
// the work unchanged hands over the same list), so neither a key press nor such a refresh rebuilds 100,000 rows;
// and each row by its item, so a refresh that changed a few items (the others handed over as the same objects,
// data/work-delta.ts) makes only their rows again.
import type { FeedEvent } from './data/feed-types.js';
import type { AgentItem, MailRow, MrItem, ProblemItem, Snapshot, WorkItem } from './data/types.js';

export const PANES = ['problems', 'agents', 'work', 'queue', 'mail', 'activity'] as const;
export type PaneId = (typeof PANES)[number];

export const PANE_TITLES: Record<PaneId, string> = { problems: 'Problems', agents: 'Agents', work: 'Work', queue: 'Merge queue', mail: 'Mail', activity: 'Activity' };

export type Row =
  | { pane: 'problems'; id: string; rig: string | null; status: string; text: string; item: ProblemItem }
  | { pane: 'agents'; id: string; rig: string | null; status: string; text: string; item: AgentItem }
  | { pane: 'work'; id: string; rig: string | null; status: string; text: string; item: WorkItem }
  | { pane: 'queue'; id: string; rig: string | null; status: string; text: string; item: MrItem }
  | { pane: 'mail'; id: string; rig: string | null; status: string; text: string; item: MailRow }
  | { pane: 'activity'; id: string; rig: string | null; status: string; text: string; item: FeedEvent };

const lower = (...parts: (string | number | null | undefined)[]): string => parts.filter((p) => p !== null && p !== undefined).join(' ').toLowerCase();

function makeRow(pane: PaneId, item: unknown): Row {
  switch (pane) {
    case 'problems': {
      const p = item as ProblemItem;
      return { pane, id: p.id, rig: p.rig ?? null, status: p.kind, text: lower(p.kind, p.subject, p.detail), item: p };
    }
    case 'agents': {
      const a = item as AgentItem;
      return { pane, id: a.id, rig: a.rig, status: a.health, text: lower(a.id, a.role, a.health, a.hooked, a.step), item: a };
    }
    case 'work': {
      const w = item as WorkItem;
      return { pane, id: w.id, rig: w.rig, status: w.status, text: lower(w.id, w.title, w.status, w.type, `p${w.priority}`, w.assignee), item: w };
    }
    case 'queue': {
      const m = item as MrItem;
      return { pane, id: m.id, rig: m.rig, status: m.state, text: lower(m.id, m.title, m.state, m.source_bead, m.worker), item: m };
    }
    case 'mail': {
      const m = item as MailRow;
      return { pane, id: m.id, rig: null, status: m.read ? 'read' : 'unread', text: lower(m.id, m.from, m.subject), item: m };
    }
    case 'activity': {
      const e = item as FeedEvent;
      return { pane, id: `${e.op_id}:${e.kind}`, rig: e.rig ?? null, status: e.kind, text: lower(e.kind, e.bead, e.actor, e.text), item: e };
    }
  }
}

/** Each item's row, kept while the item is (an item is in one pane only). */
const rowOf = new WeakMap<object, Row>();

function build(s: Snapshot, pane: PaneId): Row[] {
  const items: readonly object[] = SOURCE[pane](s);
  // the activity pane lists newest first
  const ordered = pane === 'activity' ? [...items].reverse() : items;
  return ordered.map((item) => {
    let row = rowOf.get(item);
    if (!row || row.pane !== pane) rowOf.set(item, (row = makeRow(pane, item)));
    return row;
  });
}

export interface Filter {
  words: string[];
  rig?: string;
  status?: string;
}

export function parseFilter(text: string): Filter {
  const f: Filter = { words: [] };
  for (const token of text.trim().toLowerCase().split(/\s+/).filter(Boolean)) {
    if (token.startsWith('rig:') && token.length > 4) f.rig = token.slice(4);
    else if (token.startsWith('status:') && token.length > 7) f.status = token.slice(7);
    else f.words.push(token);
  }
  return f;
}

export function matches(row: Row, f: Filter): boolean {
  if (f.rig !== undefined && (row.rig ?? '').toLowerCase() !== f.rig) return false;
  if (f.status !== undefined && row.status.toLowerCase() !== f.status) return false;
  return f.words.every((w) => row.text.includes(w));
}

const memo = new WeakMap<object, Map<string, Row[]>>();

const SOURCE: Record<PaneId, (s: Snapshot) => readonly object[]> = { problems: (s) => s.problems, agents: (s) => s.agents, work: (s) => s.work, queue: (s) => s.queue, mail: (s) => s.mail, activity: (s) => s.activity };

/** Every row matching `f` matches `p` too (each of p's words is in one of f's, its rig and status f's). */
function narrows(f: Filter, p: Filter): boolean {
  return (p.rig === undefined || p.rig === f.rig) && (p.status === undefined || p.status === f.status) && p.words.every((v) => f.words.some((w) => w.includes(v)));
}

/**
 * A pane's rows in the snapshot, filtered. A filter being typed is matched against the rows of the filter one
 * character shorter when those hold all of its rows (typing "mer" searches what "me" found, not 20,000 rows).
 */
export function paneRows(s: Snapshot, pane: PaneId, filter = ''): Row[] {
  const source = SOURCE[pane](s);
  let byList = memo.get(source);
  if (!byList) memo.set(source, (byList = new Map()));
  const key = `${pane}\u0000${filter}`;
  let rows = byList.get(key);
  if (!rows) {
    const f = parseFilter(filter);
    if (!filter || !(f.words.length || f.rig || f.status)) rows = filter ? paneRows(s, pane) : build(s, pane);
    else {
      const shorter = filter.slice(0, -1);
      const known = byList.get(`${pane}\u0000${shorter}`);
      const from = known && narrows(f, parseFilter(shorter)) ? known : paneRows(s, pane);
      rows = from.filter((r) => matches(r, f));
    }
    byList.set(key, rows);
  }
  return rows;
}
