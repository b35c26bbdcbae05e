// The one definition of ready work, used by every command that needs it:
//   status open; not deferred past now; not a record type (molecule, message, merge-request, ...); no
//   `blocks`/`waits-for` dependency on a bead that is not closed; no ancestor (by parent-child) blocked.
// Sorted by priority, then oldest first. `blockedBeads` answers the converse with the reasons.
import type { CacheReader, HotEntry, HotHeader } from './cache.js';
import type { BeadStore } from './store.js';
import { resolveIdIn } from './store.js';
import { NON_WORK_TYPES, type Bead } from './types.js';
import { matchesFilter, normalizeFilter, type BeadFilter } from './filter.js';

const NON_WORK: ReadonlySet<string> = new Set(NON_WORK_TYPES);

/** Why a bead is blocked: its own open blockers, or the blocked ancestor it sits under. */
export interface BlockReason {
  blocked_by: string[];
  blocked_ancestor?: string;
}

/** Computes blocking over the hot set (every bead not closed or deleted). */
export class BlockingGraph {
  private readonly memo = new Map<string, BlockReason | null>();
  constructor(
    private readonly hot: Map<string, HotEntry>,
    private readonly parentsOfClosed: () => Map<string, string[]>,
  ) {}

  /** Open blockers of one bead: targets of blocks/waits-for that are neither closed nor deleted. */
  ownBlockers(header: HotHeader): string[] {
    return header[7].filter((id) => this.hot.has(id));
  }

  reason(id: string, depth = 0): BlockReason | null {
    if (this.memo.has(id)) return this.memo.get(id)!;
    this.memo.set(id, null); // guards against parent cycles
    const entry = this.hot.get(id);
    let result: BlockReason | null = null;
    const parents = entry ? entry.header[6] : (this.parentsOfClosed().get(id) ?? []);
    if (entry) {
      const own = this.ownBlockers(entry.header);
      if (own.length) result = { blocked_by: own };
    }
    if (!result && depth < 1000) {
      for (const p of parents) {
        const up = this.reason(p, depth + 1);
        if (up) {
          result = { blocked_by: [], blocked_ancestor: up.blocked_ancestor ?? p };
          break;
        }
      }
    }
    this.memo.set(id, result);
    return result;
  }
}

export function blockingGraph(view: CacheReader): BlockingGraph {
  return new BlockingGraph(view.hotEntries(), () => view.parentMap());
}

function deferred(header: HotHeader, now: number): boolean {
  return header[5] !== '' && Date.parse(header[5]) > now;
}

function byPriorityThenAge(a: HotHeader, b: HotHeader): number {
  return a[2] - b[2] || a[4] - b[4] || (a[0] < b[0] ? -1 : 1);
}

/** Beads under `ancestor` at any depth (through parent-child), among the hot set. */
function underAncestor(view: CacheReader, ancestor: string): (id: string) => boolean {
  const hot = view.hotEntries();
  const memo = new Map<string, boolean>([[ancestor, true]]);
  const walk = (id: string, depth: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    memo.set(id, false);
    const parents = hot.get(id)?.header[6] ?? view.parentMap().get(id) ?? [];
    const result = depth < 1000 && parents.some((p) => walk(p, depth + 1));
    memo.set(id, result);
    return result;
  };
  return (id) => id !== ancestor && walk(id, 0);
}

function hotBeads(view: CacheReader, headers: HotHeader[], filter: BeadFilter, limit: number): Bead[] {
  const hot = view.hotEntries();
  const out: Bead[] = [];
  for (const h of headers) {
    const bead = JSON.parse(hot.get(h[0])!.json) as Bead;
    if (!matchesFilter(bead, filter)) continue;
    out.push(bead);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

export function readyBeads(store: BeadStore, rawFilter: BeadFilter = {}): Bead[] {
  const view = store.view();
  const filter = normalizeFilter(rawFilter);
  const now = Date.parse(store.nowIso());
  const graph = blockingGraph(view);
  const under = filter.parent ? underAncestor(view, resolveIdIn(view, store.prefix, filter.parent)) : null;
  const headers: HotHeader[] = [];
  for (const { header } of view.hotEntries().values()) {
    if (header[1] !== 'open' || NON_WORK.has(header[3]) || deferred(header, now)) continue;
    if (under && !under(header[0])) continue;
    if (graph.reason(header[0])) continue;
    headers.push(header);
  }
  headers.sort(byPriorityThenAge);
  return hotBeads(view, headers, { ...filter, parent: undefined }, filter.limit ?? 0);
}

export interface BlockedBead extends Bead {
  blocked_by: string[];
  blocked_ancestor?: string;
}

export function blockedBeads(store: BeadStore, rawFilter: BeadFilter = {}): BlockedBead[] {
  const view = store.view();
  const filter = normalizeFilter(rawFilter);
  const graph = blockingGraph(view);
  const under = filter.parent ? underAncestor(view, resolveIdIn(view, store.prefix, filter.parent)) : null;
  const found: { header: HotHeader; reason: BlockReason }[] = [];
  for (const { header } of view.hotEntries().values()) {
    if (NON_WORK.has(header[3])) continue;
    if (under && !under(header[0])) continue;
    const reason = graph.reason(header[0]);
    if (reason) found.push({ header, reason });
  }
  found.sort((a, b) => byPriorityThenAge(a.header, b.header));
  const reasons = new Map(found.map((f) => [f.header[0], f.reason]));
  return hotBeads(view, found.map((f) => f.header), { ...filter, parent: undefined }, filter.limit ?? 0).map((bead) => {
    const r = reasons.get(bead.id)!;
    return { ...bead, blocked_by: r.blocked_by, ...(r.blocked_ancestor ? { blocked_ancestor: r.blocked_ancestor } : {}) };
  });
}
