// The panes and their rows: what each pane lists from a Snapshot, and the filter (`/`): words that must all
// appear, `rig:NAME` and `status:S`. Pure; memoised by the snapshot's list a pane reads (a refresh that left
// the work unchanged hands over the same list), so neither a key press nor such a refresh rebuilds 100,000 rows.
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

function build(s: Snapshot, pane: PaneId): Row[] {
  switch (pane) {
    case 'problems':
      return s.problems.map((item) => ({ pane, id: item.id, rig: item.rig ?? null, status: item.kind, text: lower(item.kind, item.subject, item.detail), item }));
    case 'agents':
      return s.agents.map((item) => ({ pane, id: item.id, rig: item.rig, status: item.health, text: lower(item.id, item.role, item.health, item.hooked, item.step), item }));
    case 'work':
      return s.work.map((item) => ({ pane, id: item.id, rig: item.rig, status: item.status, text: lower(item.id, item.title, item.status, item.type, `p${item.priority}`, item.assignee), item }));
    case 'queue':
      return s.queue.map((item) => ({ pane, id: item.id, rig: item.rig, status: item.state, text: lower(item.id, item.title, item.state, item.source_bead, item.worker), item }));
    case 'mail':
      return s.mail.map((item) => ({ pane, id: item.id, rig: null, status: item.read ? 'read' : 'unread', text: lower(item.id, item.from, item.subject), item }));
    case 'activity':
      // newest first
      return [...s.activity].reverse().map((item) => ({ pane, id: `${item.op_id}:${item.kind}`, rig: item.rig ?? null, status: item.kind, text: lower(item.kind, item.bead, item.actor, item.text), item }));
  }
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

const SOURCE: Record<PaneId, (s: Snapshot) => object> = { problems: (s) => s.problems, agents: (s) => s.agents, work: (s) => s.work, queue: (s) => s.queue, mail: (s) => s.mail, activity: (s) => s.activity };

/** A pane's rows in the snapshot, filtered. */
export function paneRows(s: Snapshot, pane: PaneId, filter = ''): Row[] {
  const source = SOURCE[pane](s);
  let byList = memo.get(source);
  if (!byList) memo.set(source, (byList = new Map()));
  const key = `${pane}\u0000${filter}`;
  let rows = byList.get(key);
  if (!rows) {
    const all = filter ? paneRows(s, pane) : build(s, pane);
    const f = parseFilter(filter);
    rows = filter && (f.words.length || f.rig || f.status) ? all.filter((r) => matches(r, f)) : all;
    byList.set(key, rows);
  }
  return rows;
}
