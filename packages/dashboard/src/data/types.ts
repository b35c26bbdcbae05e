// The Snapshot: everything the dashboard shows, as plain data. Built by snapshot.ts from the town; rendered by
// the components and by plain.ts (--once). Tests and the benchmark build one by hand.
import type { FeedEvent } from './feed-types.js';

export type Health = 'working' | 'idle' | 'stalled' | 'dead';
export type WorkStatus = 'ready' | 'in_progress' | 'blocked';

export interface AgentItem {
  /** The address: the row's id. */
  id: string;
  role: string;
  rig: string | null;
  health: Health;
  hooked: string | null;
  /** The current step, as "name (id)". */
  step: string | null;
  /** Steps of the hooked bead's molecule closed, and all of them. */
  done: number | null;
  total: number | null;
  idle_s: number | null;
}

export interface WorkItem {
  id: string;
  rig: string;
  title: string;
  status: WorkStatus;
  priority: number;
  type: string;
  assignee: string | null;
  blocked_by: string[];
}

export interface MrItem {
  id: string;
  rig: string;
  /** 0 being processed, 1.. its place in the queue, null waiting (rework, blocked source, pull request). */
  position: number | null;
  state: string;
  title: string;
  source_bead: string;
  worker: string;
  priority: number;
  age_ms: number;
  last_gate: { gate: string; passed: boolean; exit_code: number | null } | null;
  waiting?: string;
}

export interface MailRow {
  id: string;
  from: string;
  subject: string;
  read: boolean;
  sent_at: string;
}

export type ProblemKind = 'dead' | 'stalled' | 'rework' | 'rejected' | 'escalation' | 'crash_loop' | 'daemon' | 'settings' | string;

export interface ProblemItem {
  id: string;
  kind: ProblemKind;
  subject: string;
  detail: string;
  /** The rig it is in, when it is in one (what rig:NAME filters on). */
  rig?: string;
}

export interface Snapshot {
  town: string;
  root: string;
  rigs: string[];
  daemon: { running: boolean; pid: number | null; last_tick: string | null };
  taken_at: string;
  problems: ProblemItem[];
  agents: AgentItem[];
  work: WorkItem[];
  queue: MrItem[];
  mail: MailRow[];
  activity: FeedEvent[];
  counts: { working: number; idle: number; stalled: number; dead: number; ready: number; in_progress: number; blocked: number; queued: number; unread: number };
}

export function countsOf(s: Pick<Snapshot, 'agents' | 'work' | 'queue' | 'mail'>): Snapshot['counts'] {
  const c: Snapshot['counts'] = { working: 0, idle: 0, stalled: 0, dead: 0, ready: 0, in_progress: 0, blocked: 0, queued: 0, unread: 0 };
  for (const a of s.agents) c[a.health]++;
  for (const w of s.work) c[w.status]++;
  c.queued = s.queue.filter((m) => m.position !== null).length;
  c.unread = s.mail.filter((m) => !m.read).length;
  return c;
}
