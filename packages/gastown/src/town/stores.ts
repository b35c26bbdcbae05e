// The town's stores: the town's own (hq) and each rig's, which one a directory or an id's prefix routes to,
// and the ready work of all of them in one list.
import { relative, resolve, sep } from 'node:path';
import { BeadStore, BeadsError, prefixOf, readyBeads, type Bead, type ForeignLookup } from '@gastown/beads';
import { TOWN_PREFIX, type Town } from '../model.js';
import { rigPaths } from './rigs.js';
import { townStoreDir } from './town.js';

/** Every store of the town: the town's own (hq), then each rig's, in registry order. */
export function townStores(town: Town): { name: string; store: BeadStore }[] {
  return [
    { name: 'hq', store: BeadStore.open(townStoreDir(town)) },
    ...town.rigs.map((r) => ({ name: r.name, store: BeadStore.open(rigPaths(town, r.name).store) })),
  ];
}

/**
 * The store of the rig a directory is in (anywhere inside it: its clone, a polecat's worktree, which holds a
 * checked-out copy of .beads/ too), or null when it is in no rig of the town.
 */
export function rigStoreAt(town: Town, dir: string): string | null {
  const rel = relative(town.root, resolve(dir));
  const rig = rel && !rel.startsWith('..') ? town.rigs.find((r) => rel === r.path || rel.startsWith(r.path + sep)) : undefined;
  return rig ? rigPaths(town, rig.name).store : null;
}

/**
 * Routes a bead id to the store of the town that holds it, by its prefix: a rig's registered prefix names the
 * rig's store, `hq` the town's. Each store is opened once, when first asked for. A wisp id (`<prefix>-wisp-...`)
 * routes to the store its wisps sit beside (wispStoreDir finds them).
 */
export class TownRouter {
  private readonly opened = new Map<string, BeadStore>();
  constructor(readonly town: Town) {}

  /** The store a prefix names, or null when it names none of the town's. */
  storeForPrefix(prefix: string): BeadStore | null {
    let store = this.opened.get(prefix);
    if (!store) {
      const rig = this.town.rigs.find((r) => r.prefix === prefix);
      const dir = rig ? rigPaths(this.town, rig.name).store : prefix === TOWN_PREFIX ? townStoreDir(this.town) : null;
      if (!dir) return null;
      store = BeadStore.open(dir);
      this.opened.set(prefix, store);
    }
    return store;
  }

  /** The store that holds `id`; a not_found BeadsError naming the town's prefixes when its prefix is none of them. */
  storeFor(id: string): BeadStore {
    const prefix = prefixOf(id.trim());
    const store = prefix ? this.storeForPrefix(prefix) : null;
    if (store) return store;
    const known = [`${TOWN_PREFIX} for the town`, ...this.town.rigs.map((r) => `${r.prefix} for ${r.name}`)].join(', ');
    const what = prefix ? `its prefix ${prefix} names` : 'it has no prefix, so it names';
    throw new BeadsError('not_found', `no bead ${JSON.stringify(id)} in town ${this.town.config.name}: ${what} none of its stores (${known})`, { id });
  }
}

export type TownReadyRow = { rig: string } & Bead;

/**
 * Ready work across the town, every rig's and the town store's, by priority, then age (oldest first), then id;
 * a blocker in another store of the town counts. `limit` 0 (or none) is no limit.
 */
export function townReady(town: Town, options: { limit?: number } = {}): TownReadyRow[] {
  const stores = townStores(town);
  const foreign: ForeignLookup = (id) => {
    const state = stores.find((s) => id.startsWith(`${s.store.idPrefix}-`))?.store.state(id);
    return state ? { status: state.bead.status } : null;
  };
  const rows = stores.flatMap(({ name, store }) => readyBeads(store, { limit: 0 }, { foreign }).map((bead) => ({ rig: name, ...bead })));
  rows.sort((x, y) => x.priority - y.priority || Date.parse(x.created_at) - Date.parse(y.created_at) || (x.id < y.id ? -1 : 1));
  return options.limit && options.limit > 0 ? rows.slice(0, options.limit) : rows;
}
