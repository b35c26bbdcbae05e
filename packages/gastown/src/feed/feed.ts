// The town's event stream, read from the logs of its stores (the town's and each rig's): readFeed for what
// happened, FeedCursor for what happens next. A cursor follows each store's log with a LogTail, so a poll reads
// only the bytes appended since the one before, and one when nothing changed costs a stat per log file. A log a
// git pull rewrote is read again from the start, and the operations already reported are told by their op_id.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BeadsError, CONFIG_FILE, LogTail, compareOps, parseDuration, type TailStats } from '@gastown/beads';
import { RIGS_FILE, TOWN_PREFIX, type Town } from '../model.js';
import { readTown, rigPaths, townStoreDir } from '../town/index.js';
import { requireRig } from '../agents/index.js';
import { StoreEvents, type FeedEvent } from './events.js';
import { stampTime } from './stamp.js';

export interface FeedOptions {
  /** Only events of this rig: its store's, and the town store's that name its agents (mail, its services). */
  rig?: string;
  /** Only events at or after this time (an ISO time, or a Date). */
  since?: string | Date;
}

/** A store the last poll could not read, and why: its events are missing from what it returned. */
export interface UnreadStore {
  /** `hq`, or the rig's name. */
  store: string;
  dir: string;
  message: string;
}

interface Followed {
  name: string;
  tail: LogTail;
  events: StoreEvents;
  /** Every op_id reported, to tell them apart when a rewritten log is read again. */
  seen: Set<string>;
}

export class FeedCursor {
  private town: Town;
  private readonly stores = new Map<string, Followed>();
  private readonly since: number;
  private rigsMtime = -1;
  /** The stores the last poll could not read (a rig's clone or its .beads/ gone): read again on each poll. */
  unread: UnreadStore[] = [];

  constructor(town: Town, readonly options: FeedOptions = {}) {
    if (options.rig !== undefined) requireRig(town, options.rig);
    this.town = town;
    this.since = options.since === undefined ? -Infinity : new Date(options.since).getTime();
    if (Number.isNaN(this.since)) throw new BeadsError('invalid_input', `invalid since time ${JSON.stringify(String(options.since))}`);
  }

  /** What its log tails have read, in all (bytes and operations parsed, full re-reads). */
  get stats(): TailStats {
    const out: TailStats = { bytes: 0, ops: 0, resets: 0 };
    for (const s of this.stores.values()) for (const k of ['bytes', 'ops', 'resets'] as const) out[k] += s.tail.stats[k];
    return out;
  }

  /**
   * The events since the last poll, in time order across the stores (the first poll: the history, from `since`
   * on). A rig added to the town meanwhile is followed from its start. A store gone (its .beads/ or the rig's clone
   * removed) is left out and named in `unread`, and read again on the next poll.
   */
  poll(): FeedEvent[] {
    this.followRigs();
    const perStore: FeedEvent[][] = [];
    this.unread = [];
    for (const s of this.stores.values()) {
      // a log without its store reads as empty: said, rather than a rig's events silently missing
      if (!existsSync(join(s.tail.dir, CONFIG_FILE))) {
        this.unread.push({ store: s.name, dir: s.tail.dir, message: `no bead store at ${s.tail.dir} (missing ${CONFIG_FILE})` });
        continue;
      }
      const read = s.tail.read();
      if (!read.ops.length) continue;
      const ops = [...read.ops].sort(compareOps);
      let fresh: FeedEvent[] = [];
      if (read.reset) {
        // the whole log again: what is known of each bead is built again from it, and only new operations speak
        s.events = this.storeEvents(s.name);
        for (const op of ops) {
          const events = s.events.apply(op);
          if (!s.seen.has(op.op_id)) fresh.push(...events);
        }
        s.seen = new Set(ops.map((o) => o.op_id));
      } else {
        for (const op of ops) {
          if (s.seen.has(op.op_id)) continue; // a line a merge duplicated
          s.seen.add(op.op_id);
          fresh.push(...s.events.apply(op));
        }
      }
      fresh = fresh.filter((e) => !(stampTime(e.at) < this.since) && (this.options.rig === undefined || e.rig === this.options.rig));
      if (fresh.length) perStore.push(fresh);
    }
    return mergeByTime(perStore);
  }

  /** The stores to follow: the town's, and each rig's (only the named one with `rig`); rigs.json is read when it changed. */
  private followRigs(): void {
    let mtime = 0;
    try {
      mtime = statSync(join(this.town.root, RIGS_FILE)).mtimeMs;
    } catch {
      /* a town without its registry has no rigs to follow */
    }
    if (mtime !== this.rigsMtime && this.rigsMtime !== -1) this.town = readTown(this.town.root);
    this.rigsMtime = mtime;
    if (!this.stores.has(TOWN_PREFIX)) this.follow(TOWN_PREFIX, townStoreDir(this.town));
    for (const r of this.town.rigs) {
      if (this.options.rig !== undefined && r.name !== this.options.rig) continue;
      if (!this.stores.has(r.name)) this.follow(r.name, rigPaths(this.town, r.name).store);
    }
  }

  private follow(name: string, dir: string): void {
    this.stores.set(name, { name, tail: new LogTail(dir), events: this.storeEvents(name), seen: new Set() });
  }

  private storeEvents(name: string): StoreEvents {
    const rigs = new Set(this.town.rigs.map((r) => r.name));
    // an address is `<rig>/witness`, `<rig>/refinery`, `<rig>/polecats/<name>`, or mayor and overseer
    const rigOf = (address: string): string | undefined => {
      const first = address.split('/')[0]!;
      return address.includes('/') && rigs.has(first) ? first : undefined;
    };
    return new StoreEvents(name, name === TOWN_PREFIX ? undefined : name, rigOf);
  }
}

/** Every event of the town's stores in time order (the stores' events merged by time, each store's in its log's order). */
export function readFeed(town: Town, options: FeedOptions = {}): FeedEvent[] {
  return new FeedCursor(town, options).poll();
}

/** `--since`'s duration (30m, 2h, 7d) as the time that long before `now`. */
export function sinceTime(duration: string, now = Date.now()): string {
  return new Date(now - parseDuration(duration, '--since')).toISOString();
}

/**
 * Merges each store's events (each in its log's order) by time: the earliest head goes first, so a store's own
 * order is kept even where its clocks disagree with another clone's.
 */
function mergeByTime(lists: FeedEvent[][]): FeedEvent[] {
  if (lists.length <= 1) return lists[0] ?? [];
  const at = lists.map(() => 0);
  const out: FeedEvent[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const e = lists[i]![at[i]!];
      if (e && (best < 0 || stampTime(e.at) < stampTime(lists[best]![at[best]!]!.at))) best = i;
    }
    if (best < 0) return out;
    out.push(lists[best]![at[best]!++]!);
  }
}
