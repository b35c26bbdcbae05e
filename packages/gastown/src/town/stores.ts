// The town's stores: the town's own (hq) and each rig's, and the ready work of all of them in one list.
import { BeadStore, readyBeads, type Bead, type ForeignLookup } from '@gastown/beads';
import type { Town } from '../model.js';
import { rigPaths } from './rigs.js';
import { townStoreDir } from './town.js';

/** Every store of the town: the town's own (hq), then each rig's, in registry order. */
export function townStores(town: Town): { name: string; store: BeadStore }[] {
  return [
    { name: 'hq', store: BeadStore.open(townStoreDir(town)) },
    ...town.rigs.map((r) => ({ name: r.name, store: BeadStore.open(rigPaths(town, r.name).store) })),
  ];
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
