// Builds the Snapshot from a town through gastown's public API: the agents (agentRows) with gt status's rule
// for their health, the daemon, the services, each rig's ready, in-progress and blocked work and its merge
// queue, the overseer's inbox, and the problems gt status names plus the inbox's rejections and escalations.
// The cheap refresh path: a TownReader keeps each store's part of the snapshot (work, queue, mail, the agents'
// hooks) and builds it again only when that store's log files changed (their sizes and times), so a refresh
// with nothing new costs the tmux poll and a stat per log file. (townStatus itself reads every rig's ready
// list on each call: over a second at 100,000 beads; and agentRows opens each store anew, reloading its cache:
// about 110 ms there. The agents' rows are made here as agentRows makes them, on the stores kept open.)
// A refresh after a change reads the changed store once for each part: ready (a blocker in another store of
// the town counts, as gt ready counts it), in progress, blocked (whose ids the merge queue reuses), and one
// list of its hooked beads, the agents without one never asked further.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BeadStore, CONFIG_FILE, blockedBeads, sleepSync, listBeads, prefixOf, readyBeads, type Bead, type ForeignLookup, type ReadyOptions } from '@gastown/beads';
import { HOOK_MOLECULE_KEY, TOWN_PREFIX, daemonStatus, hookedWork, inbox, requireRig, rigPaths, rigSettings, serviceRows, sessionState, townAgents, townSessions, townStoreDir, type Agent, type HookedWork, type Town } from '@gastown/gastown';
import { moleculeStatus, type StepStatus } from '@gastown/molecules';
import { noFeed, type FeedEvent, type FeedSource } from './feed-types.js';
import { queueItems } from './queue.js';
import { lockHolder } from './store-lock.js';
import { countsOf, type AgentItem, type Health, type MailRow, type MrItem, type ProblemItem, type Snapshot, type WorkItem } from './types.js';

export interface SnapshotOptions {
  /** Only this rig (its agents, work and queue); the town's mail and problems stay. */
  rig?: string;
  /** The Activity pane's events (default: none until the feed lands). */
  feed?: FeedSource;
  /** How many feed events the snapshot keeps, newest last. */
  activityLimit?: number;
  now?: () => number;
  /**
   * A store whose lock another process holds (and so perhaps a log to catch up, which waits up to 30 s for it)
   * is not read this time: its last rows are kept (none before its first read) and a Problem says it is busy;
   * the next refresh tries again. The live screen's reader sets it; --once waits, as bd does.
   */
  skipLocked?: boolean;
}

/** A store not read this time: another process holds its lock. */
class StoreBusy extends Error {
  constructor(readonly pid: number) {
    super(`busy: locked by process ${pid}`);
  }
}

/** How long a read waits for a lock to be let go before calling its store busy: a bd write holds it a few ms. */
const BUSY_WAIT_MS = 250;

/** The first line of an error's message: what a Problem row says of a store that could not be read. */
const oneLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** A step of a poured molecule: its polecat works it, so it is not a row of its own (as dispatch counts). */
const isStep = (bead: Bead): boolean => {
  const m = bead.metadata as { molecule?: unknown; step?: unknown } | undefined;
  return typeof m?.molecule === 'string' && typeof m?.step === 'string';
};

const TASKS = new Set(['task', 'bug', 'feature', 'epic', 'chore']);

function workItem(rig: string, bead: Bead, status: WorkItem['status'], blockedBy: string[] = []): WorkItem {
  return { id: bead.id, rig, title: bead.title, status, priority: bead.priority, type: bead.issue_type, assignee: bead.assignee ?? null, blocked_by: blockedBy };
}

/** A rig's work, and the ids of every bead blocked in its store (steps and records too: the queue's sources). */
function rigParts(rig: string, store: BeadStore, options: ReadyOptions = {}): { work: WorkItem[]; blocked: Set<string> } {
  const ready = readyBeads(store, { limit: 0 }, options).filter((b) => !isStep(b)).map((b) => workItem(rig, b, 'ready'));
  const busy = listBeads(store, { status: ['in_progress', 'hooked'], limit: 0 }).filter((b) => TASKS.has(b.issue_type) && !isStep(b)).map((b) => workItem(rig, b, 'in_progress'));
  const blockedAll = blockedBeads(store, { limit: 0 }, options);
  const blocked = blockedAll.filter((b) => !isStep(b)).map((b) => workItem(rig, b, 'blocked', b.blocked_by));
  const order = { in_progress: 0, ready: 1, blocked: 2 } as const;
  // ids by code unit: localeCompare, a collation, took a third of this sort's time at 20,000 items
  const work = [...busy, ...ready, ...blocked].sort((a, b) => order[a.status] - order[b.status] || a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { work, blocked: new Set(blockedAll.map((b) => b.id)) };
}

/** A rig's work: ready, in progress (claimed or hooked) and blocked, by priority then id. */
export function rigWork(rig: string, store: BeadStore, options: ReadyOptions = {}): WorkItem[] {
  return rigParts(rig, store, options).work;
}

/** The max_wait of a rig's queue (a broken settings file is a problem gt status names; the queue still shows). */
function maxWaitOf(town: Town, rig: string): number {
  try {
    return rigSettings(town, rig).max_wait_ms ?? 3_600_000;
  } catch {
    return 3_600_000;
  }
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
  /** When it was read (a Problem row says so of a store's rows kept after it could not be read). */
  at: number;
}

const NO_WORK: WorkItem[] = [];

/** A rig's part of the snapshot: its work, and its merge queue with the time it was read at. */
interface RigParts {
  work: WorkItem[];
  queue: { at: number; rows: MrItem[] };
}

/** What an agent's row shows of its hook: the bead, the step it is at, the molecule's steps closed of all. */
interface Hook {
  hooked: string | null;
  step: string | null;
  progress: string | null;
}

const NO_HOOK: Hook = { hooked: null, step: null, progress: null };

/** The first step, in order, that is not closed (gastown's hookedWork's rule). */
function firstOpenStep(steps: StepStatus[]): StepStatus | undefined {
  for (const s of steps) {
    if (s.status === 'closed') continue;
    return s.children.length ? (firstOpenStep(s.children) ?? s) : s;
  }
  return undefined;
}

const hookFrom = (work: HookedWork | null): Hook => ({
  hooked: work?.bead.id ?? null,
  step: work?.step ? `${work.step.step} (${work.step.id})` : null,
  progress: work?.molecule ? `${work.molecule.done}/${work.molecule.total}` : null,
});

/**
 * An agent's hook, its bead at hand: the molecule gt sling recorded on it read directly; else gastown's
 * hookedWork, which looks for one (each such look lists the store's hooked beads again).
 */
function hookOf(store: BeadStore, agent: Agent, bead: Bead): Hook {
  const recorded = (bead.metadata as Record<string, unknown> | undefined)?.[HOOK_MOLECULE_KEY];
  let mol: Bead | undefined;
  try {
    mol = typeof recorded === 'string' ? store.get(recorded) : undefined;
  } catch {
    mol = undefined; // gone or never there
  }
  const mine = mol && mol.issue_type === 'molecule' && mol.status !== 'tombstone' && (mol.dependencies ?? []).some((d) => d.type === 'parent-child' && d.depends_on_id === bead.id);
  if (!mine) return hookFrom(hookedWork(agent, store));
  const molecule = moleculeStatus(store, mol!.id, { timings: false }); // step timings read the whole log
  return hookFrom({ bead, molecule, step: firstOpenStep(molecule.steps) });
}

/**
 * Some answers change with time alone (a deferral or a lease runs out and a bead is ready; a merge request
 * ages past max_wait and moves up): a kept part is read again after this long even with no change in its log.
 */
const KEEP_MS = 30_000;

const DEFAULT_STALL_MS = 15 * 60_000;

/** gt status's rule (kernel/status.ts): a standing agent down, or a polecat down with work, is dead; up with work and idle past stall_after, stalled. */
function health(a: { role: string; state: string; hooked: string | null; idle_s: number | null }, stallMs: number): Health {
  const down = a.state !== 'running';
  if (down && (a.role !== 'polecat' || a.hooked)) return 'dead';
  if (!down && a.hooked && a.idle_s !== null && a.idle_s * 1000 >= stallMs) return 'stalled';
  if (!down && a.hooked) return 'working';
  return 'idle';
}

/** Reads a town into Snapshots, again and again, rebuilding only what changed. */
export class TownReader {
  private stores = new Map<string, BeadStore>();
  private parts = new Map<string, Cached<RigParts>>();
  private hooks = new Map<string, Cached<Map<string, Hook>>>();
  private mail: Cached<MailRow[]> | null = null;
  private crashLoops: Cached<{ name: string; rig?: string; restarts: number }[]> | null = null;
  private flat = new Map<string, { parts: unknown[]; value: unknown[] }>();
  private activity: FeedEvent[] = [];
  /** This snapshot's stores that could not be read (a Problem each). */
  private storeProblems: ProblemItem[] = [];
  /** Whether a snapshot was served: from then on a store that cannot be read is a Problem, not a failure. */
  private served = false;
  /** The stores found unlocked in this snapshot (a foreign blocker's store is asked once, not per bead). */
  private free = new Set<string>();
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
    return this.storeDirs().flatMap((d) => {
      try {
        return logPaths(this.store(d));
      } catch {
        return []; // a store that cannot be opened has nothing to watch (the poll still sees it come back)
      }
    });
  }

  /**
   * One store's part, read on its own: once a snapshot has been served, a store that cannot be read (gone,
   * corrupt) is a Problem naming it, and its part is the last one read (or none), while the others refresh. The
   * first snapshot fails instead, with the store's error and its code, as --once does: there are no rows to keep,
   * and a screen that opens on a broken town should say so as plainly as the one-shot answer does.
   */
  private guarded<T>(name: string, rig: string | null, last: { value: T; at: number } | undefined, empty: T, read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof StoreBusy) {
        const kept = last ? `its rows as read at ${clock(last.at)}` : 'its rows once it is free';
        this.storeProblems.push({ id: `store:${name}`, kind: 'store', subject: name, detail: `${err.message} (a log to catch up); ${kept}, tried again each refresh`, ...(rig ? { rig } : {}) });
        return last?.value ?? empty;
      }
      if (!this.served) throw err;
      const kept = last ? `; its rows as read at ${clock(last.at)}` : '';
      const gone = (err as { code?: unknown }).code === 'no_store' ? 'store gone: ' : '';
      this.storeProblems.push({ id: `store:${name}`, kind: 'store', subject: name, detail: `${gone}${oneLine(err)}${kept}`, ...(rig ? { rig } : {}) });
      return last?.value ?? empty;
    }
  }

  private store(dir: string): BeadStore {
    // a store deleted under the reader (its .beads/ removed) is opened anew, which says it is gone: the one kept
    // open would fold a log that is not there and read as empty
    if (this.stores.has(dir) && !existsSync(join(dir, CONFIG_FILE))) this.stores.delete(dir);
    let s = this.stores.get(dir);
    if (!s) this.stores.set(dir, (s = BeadStore.open(dir)));
    return s;
  }

  /** Throws StoreBusy when another process holds the store's lock (skipLocked), after a short wait for it. */
  private unlocked(dir: string): void {
    if (!this.options.skipLocked || this.free.has(dir)) return;
    for (let waited = 0; ; waited += 25) {
      const pid = lockHolder(dir);
      if (pid === null) return void this.free.add(dir);
      if (waited >= BUSY_WAIT_MS) throw new StoreBusy(pid);
      sleepSync(25);
    }
  }

  /** A blocker in another store of the town counts while it is open there (gt ready's rule); looked up only for ids of another prefix. */
  private readonly foreign: ForeignLookup = (id) => {
    const prefix = prefixOf(id);
    const rig = this.town.rigs.find((r) => r.prefix === prefix);
    const dir = prefix === TOWN_PREFIX ? townStoreDir(this.town) : rig ? rigPaths(this.town, rig.name).store : null;
    if (dir) this.unlocked(dir); // busy: the rig that asks is busy this time too
    try {
      const state = dir ? this.store(dir).state(id) : undefined;
      return state ? { status: state.bead.status } : null;
    } catch {
      return null; // a store that cannot be read blocks nothing here (gt status names it)
    }
  };

  /**
   * A rig's work and merge queue, read again when its log changed or every 30 s (a change to a blocker in another
   * store shows by then). The queue's rows keep their age as of the read; the caller moves them on.
   */
  private rigPartsCached(rig: string, now: number): RigParts {
    const hit = this.parts.get(rig);
    return this.guarded(rig, rig, hit, { work: NO_WORK, queue: { at: now, rows: [] } }, () => {
      const store = this.store(rigPaths(this.town, rig).store);
      const sig = `${logSignature(store)}@${Math.floor(now / KEEP_MS)}`;
      if (hit && hit.sig === sig) return hit.value;
      this.unlocked(store.dir);
      const { work, blocked } = rigParts(rig, store, { foreign: this.foreign });
      const value = { work, queue: { at: now, rows: queueItems(store, rig, now, maxWaitOf(this.town, rig), blocked) } };
      this.parts.set(rig, { sig, value, at: now });
      return value;
    });
  }

  private static queueAt({ at, rows }: RigParts['queue'], now: number): MrItem[] {
    return now !== at ? rows.map((m) => ({ ...m, age_ms: m.age_ms + (now - at) })) : rows;
  }

  /** The rigs' parts as one list: the same array while every part is the same (so a consumer can tell nothing changed). */
  private joined<T>(key: string, parts: T[][]): T[] {
    const hit = this.flat.get(key);
    if (hit && hit.parts.length === parts.length && hit.parts.every((p, i) => p === parts[i])) return hit.value as T[];
    const value = parts.flat();
    this.flat.set(key, { parts, value });
    return value;
  }

  /** Crash-looping services: from their beads in the town store (and tmux), read again when it changed or every 30 s. */
  private crashLoopsCached(now: number): { name: string; rig?: string; restarts: number }[] {
    return this.guarded('town', null, this.crashLoops ?? undefined, [], () => {
      const sig = `${logSignature(this.store(townStoreDir(this.town)))}@${Math.floor(now / KEEP_MS)}`;
      if (!this.crashLoops || this.crashLoops.sig !== sig) {
        this.unlocked(townStoreDir(this.town));
        const value = serviceRows(this.town, now)
          .filter((sv) => sv.state === 'crash_loop')
          .map((sv) => ({ name: sv.name, restarts: sv.restarts, ...(sv.rig !== undefined ? { rig: sv.rig } : {}) }));
        this.crashLoops = { sig, value, at: now };
      }
      return this.crashLoops.value;
    });
  }

  private mailCached(now: number): MailRow[] {
    return this.guarded('town', null, this.mail ?? undefined, [], () => {
      const sig = logSignature(this.store(townStoreDir(this.town)));
      if (!this.mail || this.mail.sig !== sig) {
        this.unlocked(townStoreDir(this.town));
        this.mail = { sig, value: overseerMail(this.town), at: now };
      }
      return this.mail.value;
    });
  }

  /** The hooks of a store's agents, read again when its log changed: one list of the store's hooked beads for all of them. */
  private hooksOf(dir: string, agents: Agent[], now: number): Map<string, Hook> {
    const hit = this.hooks.get(dir);
    const name = dir === townStoreDir(this.town) ? 'town' : (agents[0]?.rig ?? dir);
    return this.guarded(name, name === 'town' ? null : name, hit, new Map<string, Hook>(), () => this.hooksRead(dir, agents, hit, now));
  }

  private hooksRead(dir: string, agents: Agent[], hit: Cached<Map<string, Hook>> | undefined, now: number): Map<string, Hook> {
    const store = this.store(dir);
    const sig = `${logSignature(store)}|${agents.map((a) => a.address).join(',')}`;
    if (hit && hit.sig === sig) return hit.value;
    this.unlocked(dir);
    const first = new Map<string, Bead>(); // an agent's first hooked bead in the store's order, as hookedWork takes it
    for (const b of listBeads(store, { status: ['hooked'], limit: 0 })) if (b.assignee && !first.has(b.assignee)) first.set(b.assignee, b);
    const value = new Map(agents.map((a): [string, Hook] => {
      const bead = first.get(a.address);
      return [a.address, bead ? hookOf(store, a, bead) : NO_HOOK];
    }));
    this.hooks.set(dir, { sig, value, at: now });
    return value;
  }

  /** gt agents' rows (work/roster.ts agentRows), each agent's hook read from its store kept open. */
  private agentRows(now: number, rig?: string): ({ address: string; role: string; rig: string | null; state: string; idle_s: number | null } & Hook)[] {
    const sessions = townSessions(this.town);
    const nowS = Date.now() / 1000;
    const agents = townAgents(this.town, rig);
    const byStore = new Map<string, Agent[]>();
    for (const a of agents) byStore.set(a.store, [...(byStore.get(a.store) ?? []), a]);
    const hooks = new Map([...byStore].flatMap(([dir, list]) => [...this.hooksOf(dir, list, now)]));
    return agents.map((agent) => {
      const info = sessions.get(agent.session);
      return {
        address: agent.address,
        role: agent.role,
        rig: agent.rig ?? null,
        state: sessionState(info),
        ...(hooks.get(agent.address) ?? NO_HOOK),
        idle_s: info ? Math.max(0, Math.round(nowS - info.activity)) : null,
      };
    });
  }

  snapshot(): Snapshot {
    const now = this.now();
    const only = this.options.rig;
    const problems: ProblemItem[] = [];
    const problem = (kind: string, subject: string, detail: string, rig?: string | null): void => void problems.push({ id: `${kind}:${subject}`, kind, subject, detail, ...(rig ? { rig } : {}) });
    const stall = new Map<string, number>();
    for (const r of this.rigs) {
      try {
        stall.set(r, rigSettings(this.town, r).stall_after_ms);
      } catch (err) {
        problem('settings', r, (err as Error).message, r);
      }
    }
    this.storeProblems = [];
    this.free.clear();
    const rows = this.agentRows(now, only);
    const agents: AgentItem[] = rows.map((a) => {
      const [done, total] = parseProgress(a.progress);
      return { id: a.address, role: a.role, rig: a.rig, health: health(a, (a.rig && stall.get(a.rig)) || DEFAULT_STALL_MS), hooked: a.hooked, step: a.step, done, total, idle_s: a.idle_s };
    });
    for (const a of agents) if (a.health === 'dead' || a.health === 'stalled') problem(a.health, a.id, a.hooked ? `hooked ${a.hooked}${a.step ? ` at ${a.step}` : ''}` : `session ${rows.find((r) => r.address === a.id)?.state ?? 'down'}`, a.rig);
    const rigParts = this.rigs.map((r) => this.rigPartsCached(r, now));
    const work = this.joined('work', rigParts.map((p) => p.work));
    const queue = rigParts.flatMap((p) => TownReader.queueAt(p.queue, now));
    for (const m of queue) if (m.state === 'rework') problem('rework', m.id, m.waiting?.replace(/^rework by [^:]*: /, '') || 'sent back to its polecat', m.rig);
    for (const sv of this.crashLoopsCached(now)) if (only === undefined || sv.rig === undefined || sv.rig === only) problem('crash_loop', sv.name, `restarted ${sv.restarts} times; gt service reset ${sv.name} tries again`, sv.rig);
    const d = daemonStatus(this.town);
    if (!d.running && rows.some((a) => a.state === 'running')) problems.unshift({ id: 'daemon:daemon', kind: 'daemon', subject: 'daemon', detail: 'agents are running but the daemon is not: gt daemon start (or gt up)' });
    const mail = this.mailCached(now);
    problems.push(...mailProblems(mail));
    const fresh = this.feed.poll().filter((e) => e.rig === undefined || only === undefined || e.rig === only);
    // the feed's stores it could not read (gt feed's cursor.unread), where the reads above did not already say so
    for (const u of this.feed.unread ?? []) {
      const name = u.store === TOWN_PREFIX ? 'town' : u.store;
      this.storeProblems.push({ id: `store:${name}`, kind: 'store', subject: name, detail: `store gone: ${u.message} (its events are not in Activity)`, ...(name !== 'town' ? { rig: name } : {}) });
    }
    const seenIds = new Set<string>();
    problems.unshift(...this.storeProblems.filter((p) => !seenIds.has(p.id) && !!seenIds.add(p.id)));
    this.served = true;
    if (fresh.length) this.activity = [...this.activity, ...fresh].slice(-(this.options.activityLimit ?? 500));
    const parts = { agents, work, queue, mail };
    return {
      town: this.town.config.name,
      root: this.town.root,
      rigs: this.rigs,
      daemon: { running: d.running, pid: d.pid, last_tick: d.last_tick },
      taken_at: new Date(now).toISOString(),
      problems,
      ...parts,
      activity: this.activity,
      counts: countsOf(parts),
    };
  }
}

/** One snapshot of a town (a new reader each time: the pure entry point for --once, tests and benchmarks). */
export function snapshot(town: Town, options: SnapshotOptions = {}): Snapshot {
  return new TownReader(town, options).snapshot();
}

