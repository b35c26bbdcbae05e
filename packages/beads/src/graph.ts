// The dependency graph of beads: the tree of what one bead depends on (or what depends on it), and cycles.
import { BeadsError } from './errors.js';
import type { CacheReader } from './cache.js';
import type { BeadStore } from './store.js';
import type { Bead } from './types.js';

export interface DepNode {
  id: string;
  title: string;
  status: string;
  type?: string;
  children: DepNode[];
  /** Set when this node was already shown higher up (a cycle or a diamond). */
  repeated?: boolean;
}

function allBeads(store: BeadStore): Map<string, Bead> {
  const map = new Map<string, Bead>();
  for (const { bead } of store.allStates()) if (bead.status !== 'tombstone') map.set(bead.id, bead);
  return map;
}

/** What `id` depends on, recursively (`direction: 'down'`), or what depends on it (`'up'`). */
export function dependencyTree(store: BeadStore, idInput: string, options: { direction?: 'down' | 'up'; maxDepth?: number } = {}): DepNode {
  const id = store.resolveId(idInput);
  const beads = allBeads(store);
  const { direction = 'down', maxDepth = 50 } = options;
  const dependents = new Map<string, { id: string; type: string }[]>();
  if (direction === 'up') {
    for (const b of beads.values()) {
      for (const d of b.dependencies ?? []) {
        const list = dependents.get(d.depends_on_id) ?? [];
        list.push({ id: b.id, type: d.type });
        dependents.set(d.depends_on_id, list);
      }
    }
  }
  const seen = new Set<string>();
  const build = (nodeId: string, type: string | undefined, depth: number): DepNode => {
    const bead = beads.get(nodeId);
    const node: DepNode = { id: nodeId, title: bead?.title ?? '(missing)', status: bead?.status ?? 'missing', ...(type ? { type } : {}), children: [] };
    if (seen.has(nodeId)) return { ...node, repeated: true };
    seen.add(nodeId);
    if (depth >= maxDepth) return node;
    const edges = direction === 'down' ? (bead?.dependencies ?? []).map((d) => ({ id: d.depends_on_id, type: d.type })) : (dependents.get(nodeId) ?? []);
    node.children = edges.map((e) => build(e.id, e.type, depth + 1));
    return node;
  };
  return build(id, undefined, 0);
}

/** Every cycle among blocks/waits-for/parent-child edges, each as the list of ids around it. */
export function dependencyCycles(store: BeadStore): string[][] {
  const beads = allBeads(store);
  const edges = new Map<string, string[]>();
  for (const b of beads.values()) {
    edges.set(b.id, (b.dependencies ?? []).filter((d) => d.type === 'blocks' || d.type === 'waits-for' || d.type === 'parent-child').map((d) => d.depends_on_id).filter((t) => beads.has(t)));
  }
  // Tarjan's strongly connected components; a component of 2+ nodes, or a self-loop, is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const strong = (v: string): void => {
    const work: { v: string; i: number }[] = [{ v, i: 0 }];
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const next = edges.get(frame.v)![frame.i++];
      if (next !== undefined) {
        if (!idx.has(next)) {
          idx.set(next, index);
          low.set(next, index++);
          stack.push(next);
          onStack.add(next);
          work.push({ v: next, i: 0 });
        } else if (onStack.has(next)) low.set(frame.v, Math.min(low.get(frame.v)!, idx.get(next)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!));
      }
      if (low.get(frame.v) === idx.get(frame.v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.v);
        if (component.length > 1 || edges.get(frame.v)!.includes(frame.v)) cycles.push(component.sort());
      }
    }
  };
  for (const id of [...edges.keys()].sort()) if (!idx.has(id)) strong(id);
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/**
 * The edge types cycles are made of, as ready counts them: a bead waits on its blocks/waits-for targets and on
 * its parent-child ancestors' blockers, so a loop through any mix of them leaves every bead in it unready.
 */
const CYCLE_TYPES: ReadonlySet<string> = new Set(['blocks', 'waits-for', 'parent-child']);

/**
 * The cycle a new dependency `from` -> `to` of `type` would close, as the ids around it starting and ending
 * with `from` (the shortest such loop), or null. Deleted beads are not part of the graph; `from` need not exist
 * yet (a bead being created under an id that imported beads already point at).
 */
export function cycleClosedBy(view: Pick<CacheReader, 'state'>, from: string, to: string, type: string): string[] | null {
  if (!CYCLE_TYPES.has(type)) return null;
  const previous = new Map<string, string | null>([[to, null]]);
  const queue = [to];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    if (id === from) {
      const back: string[] = []; // from, then each step back to `to`
      for (let at: string | null = id; at !== null; at = previous.get(at)!) back.push(at);
      return [from, ...back.reverse()];
    }
    const state = view.state(id);
    if (!state || state.bead.status === 'tombstone') continue;
    for (const d of state.bead.dependencies ?? []) {
      if (!CYCLE_TYPES.has(d.type) || previous.has(d.depends_on_id)) continue;
      previous.set(d.depends_on_id, id);
      queue.push(d.depends_on_id);
    }
  }
  return null;
}

/** Refuses a dependency that would close a cycle, naming it. */
export function refuseCycle(view: Pick<CacheReader, 'state'>, from: string, to: string, type: string): void {
  const cycle = cycleClosedBy(view, from, to, type);
  if (!cycle) return;
  throw new BeadsError('conflict', `a ${type} dependency of ${from} on ${to} would close a dependency cycle: ${cycle.join(' -> ')}; every bead in it would wait forever (bd dep cycles lists cycles already in the store)`, { id: from, depends_on_id: to, type, cycle });
}
