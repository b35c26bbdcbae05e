// Builds the Snapshot from a town through gastown's public API: gt status's view of the agents, the daemon and
// the problems (townStatus), each rig's ready, in-progress and blocked work and its merge queue, and the
// overseer's inbox. The cheap refresh path: a TownReader keeps each store's part of the snapshot and builds it
// again only when that store's log files changed (their sizes and times), so a refresh with nothing new
// costs the tmux poll and a stat per log file.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, blockedBeads, listBeads, readyBeads, type Bead } from '@gastown/beads';
import { inbox, queueRows, requireRig, rigPaths, rigSettings, townStatus, townStoreDir, type Town } from '@gastown/gastown';
import { noFeed, type FeedEvent, type FeedSource } from './feed-types.js';
import { countsOf, type AgentItem, type MailRow, type MrItem, type ProblemItem, type Snapshot, type WorkItem } from './types.js';

export interface SnapshotOptions {
  /** Only this rig (its agents, work and queue); the town's mail and problems stay. */
  rig?: string;
  /** The Activity pane's events (default: none until the feed lands). */
  feed?: FeedSource;
  /** How many feed events the snapshot keeps, newest last. */
  activityLimit?: number;
  now?: () => number;
}

/** A step of a poured molecule: its polecat works it, so it is not a row of its own (as dispatch counts). */
const isStep = (bead: Bead): boolean => {
  const m = bead.metadata as { molecule?: unknown; step?: unknown } | undefined;
  return typeof m?.molecule === 'string' && typeof m?.step === 'string';
};

const TASKS = new Set(['task', 'bug', 'feature', 'epic', 'chore']);

function workItem(rig: string, bead: Bead, status: WorkItem['status'], blockedBy: string[] = []): WorkItem {
  return { id: bead.id, rig, title: bead.title, status, priority: bead.priority, type: bead.issue_type, assignee: bead.assignee ?? null, blocked_by: blockedBy };
}

/** A rig's work: ready, in progress (claimed or hooked) and blocked, by priority then id. */
export function rigWork(rig: string, store: BeadStore): WorkItem[] {
  const ready = readyBeads(store, { limit: 0 }).filter((b) => !isStep(b)).map((b) => workItem(rig, b, 'ready'));
  const busy = listBeads(store, { status: ['in_progress', 'hooked'], limit: 0 }).filter((b) => TASKS.has(b.issue_type) && !isStep(b)).map((b) => workItem(rig, b, 'in_progress'));
  const blocked = blockedBeads(store, { limit: 0 }).filter((b) => !isStep(b)).map((b) => workItem(rig, b, 'blocked', b.blocked_by));
  const order = { in_progress: 0, ready: 1, blocked: 2 } as const;
  return [...busy, ...ready, ...blocked].sort((a, b) => order[a.status] - order[b.status] || a.priority - b.priority || a.id.localeCompare(b.id));
}

function mrItems(town: Town, rig: string, now: number): MrItem[] {
  let maxWaitMs = 3_600_000;
  try {
    maxWaitMs = rigSettings(town, rig).max_wait_ms ?? maxWaitMs;
  } catch {
    /* a broken settings file is a problem gt status names; the queue still shows */
  }
  return queueRows(town, rig, { now, maxWaitMs }).map((r) => ({
    id: r.id,
    rig,
    position: r.position,
    state: r.state,
    title: r.title,
    source_bead: r.source_bead,
    worker: r.worker,
    priority: r.priority,
    age_ms: r.age_ms,
    last_gate: r.last_gate ? { gate: r.last_gate.gate, passed: r.last_gate.passed, exit_code: r.last_gate.exit_code } : null,
    ...(r.waiting ? { waiting: r.waiting } : {}),
  }));
}

const SYSTEM_SENDER = /(^|\/)(witness|refinery|daemon|dispatch)$|^mayor$/;

/** The overseer's inbox, unread first, newest first within each. */
export function overseerMail(town: Town): MailRow[] {
  return inbox(town, 'overseer')
    .map((m) => ({ id: m.id, from: m.from, subject: m.subject, read: m.read, sent_at: m.sent_at }))
    .sort((a, b) => Number(a.read) - Number(b.read) || b.sent_at.localeCompare(a.sent_at) || a.id.localeCompare(b.id));
}

/** Rejections and escalations: unread mail the refinery, the witness or the daemon sent the overseer. */
export function mailProblems(mail: MailRow[]): ProblemItem[] {
  return mail
    .filter((m) => !m.read && SYSTEM_SENDER.test(m.from))
    .map((m) => {
      const kind = /^REJECTED\b/.test(m.subject) ? 'rejected' : 'escalation';
      return { id: `${kind}:${m.id}`, kind, subject: m.id, detail: `${m.from}: ${m.subject}` };
    });
}

function parseProgress(p: string | null): [number | null, number | null] {
  const m = p ? /^(\d+)\/(\d+)$/.exec(p) : null;
  return m ? [Number(m[1]), Number(m[2])] : [null, null];
}

/** The log's files, as paths (the store names them relative to its directory). */
const logPaths = (store: BeadStore): string[] => store.logFiles().map((f) => join(store.dir, f));

const logSignature = (store: BeadStore): string =>
  logPaths(store)
    .map((f) => {
      try {
        const s = statSync(f);
        return `${f}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${f}:-`;
      }
    })
    .join('|');

interface Cached<T> {
  sig: string;
  value: T;
}

/** Reads a town into Snapshots, again and again, rebuilding only what changed. */
export class TownReader {
  private stores = new Map<string, BeadStore>();
  private work = new Map<string, Cached<WorkItem[]>>();
  private activity: FeedEvent[] = [];
  readonly rigs: string[];
  private readonly feed: FeedSource;
  private readonly now: () => number;

  constructor(readonly town: Town, private readonly options: SnapshotOptions = {}) {
    if (options.rig !== undefined) requireRig(town, options.rig);
    this.rigs = options.rig !== undefined ? [options.rig] : town.rigs.map((r) => r.name);
    this.feed = options.feed ?? noFeed;
    this.now = options.now ?? Date.now;
  }

  /** Every store the snapshot reads: the town's (mail) and each rig's. */
  storeDirs(): string[] {
    return [townStoreDir(this.town), ...this.rigs.map((r) => rigPaths(this.town, r).store)];
  }

  /** The log files to watch for changes. */
  logFiles(): string[] {
    return this.storeDirs().flatMap((d) => logPaths(this.store(d)));
  }

  private store(dir: string): BeadStore {
    let s = this.stores.get(dir);
    if (!s) this.stores.set(dir, (s = BeadStore.open(dir)));
    return s;
  }

  private rigWorkCached(rig: string): WorkItem[] {
    const store = this.store(rigPaths(this.town, rig).store);
    const sig = logSignature(store);
    const hit = this.work.get(rig);
    if (hit && hit.sig === sig) return hit.value;
    const value = rigWork(rig, store);
    this.work.set(rig, { sig, value });
    return value;
  }

  snapshot(): Snapshot {
    const now = this.now();
    const status = townStatus(this.town, now);
    const inRig = (rig: string | null): boolean => this.options.rig === undefined || rig === this.options.rig;
    const agents: AgentItem[] = status.agents
      .filter((a) => inRig(a.rig) || (a.rig === null && this.options.rig === undefined))
      .map((a) => {
        const [done, total] = parseProgress(a.progress);
        return { id: a.address, role: a.role, rig: a.rig, health: a.health, hooked: a.hooked, step: a.step, done, total, idle_s: a.idle_s };
      });
    const work = this.rigs.flatMap((r) => this.rigWorkCached(r));
    const queue = this.rigs.flatMap((r) => mrItems(this.town, r, now));
    const mail = overseerMail(this.town);
    const otherRig = (subject: string): boolean => this.options.rig !== undefined && this.town.rigs.some((r) => r.name !== this.options.rig && (subject === r.name || subject.startsWith(`${r.name}/`)));
    const problems: ProblemItem[] = [
      ...status.problems.filter((p) => !otherRig(p.subject)).map((p) => ({ id: `${p.kind}:${p.subject}`, ...p })),
      ...mailProblems(mail),
    ];
    const fresh = this.feed.poll().filter((e) => e.rig === undefined || inRig(e.rig));
    if (fresh.length) this.activity = [...this.activity, ...fresh].slice(-(this.options.activityLimit ?? 500));
    const s = { agents, work, queue, mail };
    return {
      town: status.town,
      root: status.root,
      rigs: this.rigs,
      daemon: { running: status.daemon.running, pid: status.daemon.pid, last_tick: status.daemon.last_tick },
      taken_at: new Date(now).toISOString(),
      problems,
      ...s,
      activity: this.activity,
      counts: countsOf(s),
    };
  }
}

/** One snapshot of a town (a new reader each time: the pure entry point for --once, tests and benchmarks). */
export function snapshot(town: Town, options: SnapshotOptions = {}): Snapshot {
  return new TownReader(town, options).snapshot();
}

