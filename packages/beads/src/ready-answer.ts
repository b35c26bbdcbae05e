// The saved answer of an unscoped `bd ready`, beside the cache, so that agents asking again and again pay
// nothing for it. Two files in the generation directory, both keyed to the exact cache state they describe:
//   ready.json          the first cacheLimits.readySaved ready beads in order (all of them when `complete`),
//                       valid from `at` until `validUntil` (the next claim lease or deferral to run out)
//   ready-blocked.json  every blocked candidate with the live ids that block it (its own blockers and its
//                       ancestors'), and `ghosts`: the ids candidates name as blockers that are not live
//                       (closed, deleted or missing), which would block them if they came back
// The cache's own updates carry both forward (carryReady) instead of dropping them, so a ready right after a
// write, or after a small pull, reads them as a quiet one does. Whatever they cannot carry forward exactly (a
// ghost coming back, a rewrite of the hot index) leaves them stale, and the next ready computes them again.
import { join } from 'node:path';
import type { CacheFiles } from './cache-files.js';
import { writeAtomic } from './cache-files.js';
import { H, blockersOf, headerOrder, type HotHeader } from './hot-index.js';
import { NON_WORK_TYPES } from './types.js';

/** Types that are records, never work to start (molecules, messages, merge requests, ...). */
export const NON_WORK: ReadonlySet<string> = new Set(NON_WORK_TYPES);

/** A ready bead: where its body is, and what orders it. */
export type ReadyRow = [id: string, offset: number, length: number, priority: number, created: number];
/** A blocked candidate: a ready row, its deferral, and the live ids blocking it (comma-separated). */
export type BlockedRow = [id: string, offset: number, length: number, priority: number, created: number, defer: string, blockers: string];

export interface ReadyState {
  at: number;
  validUntil: number | null;
  complete: boolean;
  beads: ReadyRow[];
  blocked: BlockedRow[];
  ghosts: string[];
}

/** A ready header's row. */
export const readyRow = (h: HotHeader): ReadyRow => [h[H.id], h[H.offset], h[H.length], h[H.priority], h[H.created]];
const rowOrder = (a: ReadyRow, b: ReadyRow): number => a[3] - b[3] || a[4] - b[4] || (a[0] < b[0] ? -1 : 1);

/** A row as a header, as far as ordering and reading its body go. */
export function rowHeader(r: ReadyRow | BlockedRow): HotHeader {
  return [r[0], '', r[3], '', r[4], '', '', '', r[1], r[2], 0, ''] as HotHeader;
}

/** Every id that blocks the bead while live: its own blockers and its ancestors' (the header's pairs). */
export function blockerIds(h: HotHeader): string[] {
  const out = blockersOf(h).filter((id) => id !== h[H.id]);
  if (h[H.up]) for (const pair of h[H.up].split(',')) out.push(pair.slice(pair.indexOf(' ') + 1));
  return out;
}

/**
 * Where one hot bead stands at `now`: not a candidate for ready work (a record type, closed, claimed under a
 * running lease, or any status but open), deferred, blocked by these live ids, or ready. `until` is when
 * that may change by time alone.
 */
export function standing(h: HotHeader, now: number, live: (id: string) => boolean): { kind: 'none' | 'deferred' | 'blocked' | 'ready'; live: string[]; ghosts: string[]; until: number } {
  let until = Infinity;
  if (NON_WORK.has(h[H.type])) return { kind: 'none', live: [], ghosts: [], until };
  if (h[H.status] !== 'open') {
    if (h[H.status] !== 'in_progress' || !h[H.lease]) return { kind: 'none', live: [], ghosts: [], until };
    if (h[H.lease] > now) return { kind: 'none', live: [], ghosts: [], until: h[H.lease] };
  }
  const ids = blockerIds(h);
  const liveIds = ids.filter(live);
  const ghosts = ids.filter((id) => !liveIds.includes(id));
  if (liveIds.length) return { kind: 'blocked', live: liveIds, ghosts, until };
  if (h[H.defer] !== '' && Date.parse(h[H.defer]) > now) return { kind: 'deferred', live: [], ghosts, until: Date.parse(h[H.defer]) };
  return { kind: 'ready', live: [], ghosts, until };
}

/** The whole answer from every hot header (what a ready without a saved answer computes). */
export function computeReadyState(headers: Iterable<HotHeader>, now: number, live: (id: string) => boolean, under?: (h: HotHeader) => boolean): { ready: HotHeader[]; state: Omit<ReadyState, 'beads' | 'complete'> } {
  const ready: HotHeader[] = [];
  const blocked: BlockedRow[] = [];
  const ghosts = new Set<string>();
  let validUntil = Infinity;
  for (const h of headers) {
    if (under && !under(h)) continue;
    const s = standing(h, now, live);
    validUntil = Math.min(validUntil, s.until);
    for (const g of s.ghosts) ghosts.add(g);
    if (s.kind === 'ready') ready.push(h);
    else if (s.kind === 'blocked') blocked.push([...readyRow(h), h[H.defer], s.live.join(',')]);
  }
  ready.sort(headerOrder);
  return { ready, state: { at: now, validUntil: Number.isFinite(validUntil) ? validUntil : null, blocked, ghosts: [...ghosts] } };
}

export function readyPaths(genDir: string): { ready: string; blocked: string } {
  return { ready: join(genDir, 'ready.json'), blocked: join(genDir, 'ready-blocked.json') };
}

/** The saved first ready rows, if they describe this cache state and hold at `now`. */
export function readSavedReady(files: CacheFiles, genDir: string, key: string, now: number): { rows: ReadyRow[]; complete: boolean } | null {
  try {
    const saved = JSON.parse(files.readWhole(readyPaths(genDir).ready)) as { key: string; at: number; validUntil: number | null; complete: boolean; beads: ReadyRow[] };
    if (saved.key !== key || typeof saved.at !== 'number' || now < saved.at || (saved.validUntil !== null && now >= saved.validUntil)) return null;
    return { rows: saved.beads, complete: saved.complete };
  } catch {
    return null;
  }
}

/**
 * Saves the answer (its first `keep` ready rows; `complete` when `beads` are all the ready beads) for this
 * cache state. Best effort: it only saves time.
 */
export function saveReady(files: CacheFiles, genDir: string, key: string, state: Omit<ReadyState, 'complete'>, complete: boolean, keep: number): void {
  const paths = readyPaths(genDir);
  const write = files.inMemory ? files.write : writeAtomic;
  try {
    // the blocked rows first: a reader of ready.json never needs them, the carrier needs both to agree
    write(paths.blocked, JSON.stringify({ key, blocked: state.blocked, ghosts: state.ghosts }));
    write(paths.ready, JSON.stringify({ key, at: state.at, validUntil: state.validUntil, complete: complete && state.beads.length <= keep, beads: state.beads.slice(0, keep) }));
  } catch {
    /* a cache of a cache */
  }
}

function readState(files: CacheFiles, genDir: string, key: string): ReadyState | null {
  try {
    const paths = readyPaths(genDir);
    const ready = JSON.parse(files.readWhole(paths.ready)) as { key: string } & Omit<ReadyState, 'blocked' | 'ghosts'>;
    const blocked = JSON.parse(files.readWhole(paths.blocked)) as { key: string; blocked: BlockedRow[]; ghosts: string[] };
    if (ready.key !== key || blocked.key !== key || typeof ready.at !== 'number') return null;
    return { at: ready.at, validUntil: ready.validUntil, complete: ready.complete, beads: ready.beads, blocked: blocked.blocked, ghosts: blocked.ghosts };
  } catch {
    return null;
  }
}

/**
 * Carries the saved answer of the cache state `fromKey` over appended hot headers (a header per bead that
 * changed or whose ancestors' blockers did; null for one that left the hot index) to the state `toKey`.
 * `live` answers for the new state. Returns false, saving nothing, when it cannot be done exactly.
 */
export function carryReady(files: CacheFiles, genDir: string, fromKey: string, toKey: string, entries: { id: string; header: HotHeader | null }[], live: (id: string) => boolean, keep: number, now = Date.now()): boolean {
  const state = readState(files, genDir, fromKey);
  if (!state || now < state.at || (state.validUntil !== null && now >= state.validUntil)) return false;
  const ghosts = new Set(state.ghosts);
  const changed = new Map(entries.map((e) => [e.id, e.header]));
  // A ghost coming back (a reopen, a bead another clone created that something named as a blocker) blocks
  // beads that are not in the blocked rows: only a full computation finds them.
  for (const [id, header] of changed) if (header && ghosts.has(id)) return false;
  let beads = state.beads.filter((r) => !changed.has(r[0]));
  let blocked = state.blocked.filter((r) => !changed.has(r[0]));
  let validUntil = state.validUntil ?? Infinity;
  const fresh: ReadyRow[] = [];
  const gone = new Set([...changed].filter(([, h]) => h === null).map(([id]) => id));
  // What left the hot index no longer blocks anyone: rows blocked only by it become ready, or deferred.
  if (gone.size) {
    blocked = blocked.flatMap((r) => {
      const rest = r[6].split(',').filter((id) => !gone.has(id));
      for (const id of r[6].split(',')) if (gone.has(id)) ghosts.add(id);
      if (rest.length) return [[...r.slice(0, 6), rest.join(',')] as BlockedRow];
      if (r[5] !== '' && Date.parse(r[5]) > now) validUntil = Math.min(validUntil, Date.parse(r[5]));
      else fresh.push(r.slice(0, 5) as ReadyRow);
      return [];
    });
  }
  for (const [, h] of changed) {
    if (!h) continue;
    const s = standing(h, now, live);
    validUntil = Math.min(validUntil, s.until);
    for (const g of s.ghosts) ghosts.add(g);
    if (s.kind === 'ready') fresh.push(readyRow(h));
    else if (s.kind === 'blocked') blocked.push([...readyRow(h), h[H.defer], s.live.join(',')]);
  }
  // New ready rows go in order; past the end of an incomplete window they are beyond what it holds.
  const last = beads[beads.length - 1];
  for (const r of fresh) if (state.complete || (last && rowOrder(r, last) < 0)) beads.push(r);
  beads = beads.sort(rowOrder);
  // an incomplete window that shrank is still the first ready beads, as many as it holds
  saveReady(files, genDir, toKey, { at: now, validUntil: Number.isFinite(validUntil) ? validUntil : null, beads, blocked, ghosts: [...ghosts] }, state.complete, keep);
  return true;
}
