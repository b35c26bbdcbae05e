// The one definition of ready work, used by every command that needs it:
//   status open (or in progress under a claim whose lease ran out); not deferred past now; not a record type (molecule, message, merge-request, ...); no
//   `blocks`/`waits-for` dependency on a bead that is not closed; no ancestor (by parent-child, closed or not) with
//   such a dependency.
// Sorted by priority, then oldest first. `blockedBeads` answers the converse with the reasons.
// It reads only the hot index: every bead not closed or deleted, each with its ancestors and their blockers.
import type { CacheReader } from './cache.js';
import { H, ancestorsIn, headerOrder, blockersOf, type HotHeader, type HotIndex } from './hot-index.js';
import type { BeadStore } from './store.js';
import { resolveIdIn } from './store.js';
import type { Bead } from './types.js';
import { matchesFilter, normalizeFilter, type BeadFilter } from './filter.js';
import { NON_WORK, computeReadyState } from './ready-answer.js';


/** Why a bead is blocked: its own open blockers, or the blocked ancestor it sits under. */
export interface BlockReason {
  blocked_by: string[];
  blocked_ancestor?: string;
}

/**
 * Beads' rule (blocked_cache.go): a bead is blocked while any of its blocks/waits-for blockers is not closed,
 * and under any ancestor by parent-child that is, whatever that ancestor's own status (a closed one included).
 * A blocker counts while it is in the hot index (neither closed nor deleted; a missing bead does not block) or
 * open in another store. The header carries its ancestors' blockers, so no ancestor is looked up.
 */
export function blockReason(hot: HotIndex, header: HotHeader, foreignOpen?: (id: string) => boolean): BlockReason | null {
  const live = (id: string): boolean => hot.has(id) || (foreignOpen?.(id) ?? false);
  if (header[H.blockers]) {
    const own = blockersOf(header).filter((id) => id !== header[H.id] && live(id));
    if (own.length) return { blocked_by: own };
  }
  if (!header[H.up]) return null;
  for (const pair of header[H.up].split(',')) {
    const space = pair.indexOf(' ');
    if (live(pair.slice(space + 1))) return { blocked_by: [], blocked_ancestor: pair.slice(0, space) };
  }
  return null;
}

function parentTest(view: CacheReader, prefix: string, filter: BeadFilter): ((h: HotHeader) => boolean) | null {
  if (!filter.parent) return null;
  const ancestor = resolveIdIn(view, prefix, filter.parent);
  return (h) => ancestorsIn(h).includes(ancestor);
}

/** Full beads for the headers, in order, that pass the filter's per-bead tests, up to limit. */
function beadsFor(hot: HotIndex, headers: HotHeader[], filter: BeadFilter, limit: number): Bead[] {
  const many = limit === 0 || limit > 50;
  const out: Bead[] = [];
  for (const h of headers) {
    const bead = hot.bead(h, many);
    if (!matchesFilter(bead, filter)) continue;
    out.push(bead);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/**
 * A bead of another store (another rig of the town), by id: its status, or null when that store does not know
 * it. With it, a blocker in another rig counts while it is open there.
 */
export type ForeignLookup = (id: string) => { status: string } | null;

export interface ReadyOptions {
  foreign?: ForeignLookup;
}

function foreignOpen(store: BeadStore, foreign: ForeignLookup | undefined): ((id: string) => boolean) | undefined {
  if (!foreign) return undefined;
  const local = `${store.idPrefix}-`;
  return (id) => {
    if (id.startsWith(local)) return false;
    const status = foreign(id)?.status;
    return status !== undefined && status !== 'closed' && status !== 'tombstone';
  };
}

export function readyBeads(store: BeadStore, rawFilter: BeadFilter = {}, options: ReadyOptions = {}): Bead[] {
  return store.read((view) => {
    const filter = normalizeFilter(rawFilter);
    const now = Date.parse(store.nowIso());
    const under = parentTest(view, store.idPrefix, filter);
    // Agents ask again and again while nothing changes: the unscoped answer is kept beside the cache. Not with
    // blockers in other stores, whose changes this cache cannot see.
    const reuse = !under && !options.foreign;
    const limit = filter.limit ?? 0;
    const saved = reuse ? view.readyAnswer(now) : null;
    if (saved) {
      // the saved first ones answer when they are all, or when enough of them pass the filter
      const beads = beadsFor(view.hotIndex(), saved.headers, filter, limit);
      if (saved.complete || (limit > 0 && beads.length >= limit)) return beads;
    }
    const hot = view.hotIndex();
    const isForeignOpen = foreignOpen(store, options.foreign);
    const live = (id: string): boolean => hot.has(id) || (isForeignOpen?.(id) ?? false);
    const { ready, state } = computeReadyState(hot.headers.values(), now, live, under ?? undefined);
    if (reuse) view.saveReadyAnswer(ready, state);
    return beadsFor(hot, ready, filter, limit);
  });
}

export interface BlockedBead extends Bead {
  blocked_by: string[];
  blocked_ancestor?: string;
}

export function blockedBeads(store: BeadStore, rawFilter: BeadFilter = {}, options: ReadyOptions = {}): BlockedBead[] {
  const isForeignOpen = foreignOpen(store, options.foreign);
  return store.read((view) => {
    const filter = normalizeFilter(rawFilter);
    const hot = view.hotIndex();
    const under = parentTest(view, store.idPrefix, filter);
    const found: HotHeader[] = [];
    const reasons = new Map<string, BlockReason>();
    for (const h of hot.headers.values()) {
      if (NON_WORK.has(h[H.type])) continue;
      if (under && !under(h)) continue;
      const reason = blockReason(hot, h, isForeignOpen);
      if (!reason) continue;
      found.push(h);
      reasons.set(h[H.id], reason);
    }
    found.sort(headerOrder);
    return beadsFor(hot, found, filter, filter.limit ?? 0).map((bead) => {
      const r = reasons.get(bead.id)!;
      return { ...bead, blocked_by: r.blocked_by, ...(r.blocked_ancestor ? { blocked_ancestor: r.blocked_ancestor } : {}) };
    });
  });
}
