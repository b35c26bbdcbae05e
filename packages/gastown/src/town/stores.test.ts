import { afterEach, describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { BeadStore, BeadsError, closeBead, createBead, type ForeignLookup } from '@gastown/beads';
import { rigPaths } from './rigs.js';
import { TownRouter, rigStoreAt, townReady, townStores } from './stores.js';
import { testTowns } from './test-town.js';
import { townStoreDir } from './town.js';

const { town: newTown } = testTowns(afterEach);

/** The store at `dir` with its clock at `iso`: beads created through it are that old. */
const at = (dir: string, iso: string): BeadStore => BeadStore.open(dir, { now: () => new Date(iso) });

describe('townStores', () => {
  it('is the town store (hq) first, then each rig in registry order', () => {
    const town = newTown({ beta: 'be', alpha: 'al' });
    expect(townStores(town).map(({ name, store }) => [name, store.dir, store.prefix])).toEqual([
      ['hq', townStoreDir(town), 'hq'],
      ['beta', rigPaths(town, 'beta').store, 'be'],
      ['alpha', rigPaths(town, 'alpha').store, 'al'],
    ]);
  });
});

describe('townReady', () => {
  it('lists every store\'s ready work by priority, then age, then id, each row naming its rig', () => {
    const town = newTown({ alpha: 'al', beta: 'be' });
    const hq = townStoreDir(town);
    const alpha = rigPaths(town, 'alpha').store;
    const beta = rigPaths(town, 'beta').store;
    const make = (dir: string, iso: string, title: string, priority: number) => createBead(at(dir, iso), 'tester', { title, priority }).id;
    const alphaLateP1 = make(alpha, '2026-01-03T00:00:00Z', 'alpha P1 late', 1);
    const betaEarlyP1 = make(beta, '2026-01-01T00:00:00Z', 'beta P1 early', 1);
    const alphaEarlyP2 = make(alpha, '2026-01-01T00:00:00Z', 'alpha P2 early', 2);
    const tie = [make(hq, '2026-01-02T00:00:00Z', 'hq P2 tie', 2), make(beta, '2026-01-02T00:00:00Z', 'beta P2 tie', 2)];
    const hqP0 = make(hq, '2026-01-05T00:00:00Z', 'hq P0 newest', 0);
    // not ready: closed, and blocked by an open bead of another store of the town
    closeBead(BeadStore.open(alpha), 'tester', make(alpha, '2026-01-01T00:00:00Z', 'closed', 0));
    const alphaStore = BeadStore.open(alpha);
    const foreign: ForeignLookup = (id) => (alphaStore.state(id) ? { status: alphaStore.state(id)!.bead.status } : null);
    createBead(at(beta, '2026-01-01T00:00:00Z'), 'tester', { title: 'blocked by alpha', priority: 0, deps: [{ type: 'blocks', id: alphaLateP1 }] }, { foreign });

    const rows = townReady(town, { limit: 0 });
    const rig = (id: string): string => (id.startsWith('hq-') ? 'hq' : id.startsWith('al-') ? 'alpha' : 'beta');
    const order = [hqP0, betaEarlyP1, alphaLateP1, alphaEarlyP2, ...[...tie].sort()];
    expect(rows.map((r) => [r.rig, r.id])).toEqual(order.map((id) => [rig(id), id]));
    expect(rows[0]).toMatchObject({ rig: 'hq', title: 'hq P0 newest', priority: 0, status: 'open' });
    expect(townReady(town, { limit: 2 }).map((r) => r.id)).toEqual(order.slice(0, 2));
    expect(townReady(town).map((r) => r.id)).toEqual(order);

    // the blocker closes: the bead it blocked, in beta, is ready (P0, older than hq's P0)
    closeBead(BeadStore.open(alpha), 'tester', alphaLateP1);
    expect(townReady(town).map((r) => r.title).slice(0, 2)).toEqual(['blocked by alpha', 'hq P0 newest']);
  });
});

describe('TownRouter', () => {
  it('routes an id of each rig\'s prefix, and of hq, to that store, opening each once', () => {
    const town = newTown({ alpha: 'al', beta: 'be' });
    const ids = {
      hq: createBead(BeadStore.open(townStoreDir(town)), 'tester', { title: 'town work' }).id,
      alpha: createBead(BeadStore.open(rigPaths(town, 'alpha').store), 'tester', { title: 'alpha work' }).id,
      beta: createBead(BeadStore.open(rigPaths(town, 'beta').store), 'tester', { title: 'beta work' }).id,
    };
    const router = new TownRouter(town);
    expect(router.storeFor(ids.hq).dir).toBe(townStoreDir(town));
    expect(router.storeFor(ids.alpha).dir).toBe(rigPaths(town, 'alpha').store);
    expect(router.storeFor(` ${ids.beta} `).dir).toBe(rigPaths(town, 'beta').store);
    expect(router.storeFor(ids.beta).get(ids.beta).title).toBe('beta work');
    // an id that does not exist yet routes by its prefix all the same (the store then says it has no such bead)
    expect(router.storeFor('al-zzzzzzzz').dir).toBe(rigPaths(town, 'alpha').store);
    expect(router.storeFor(ids.alpha)).toBe(router.storeForPrefix('al'));
    expect(router.storeForPrefix('zz')).toBeNull();
  });

  it('refuses an id whose prefix names no store of the town with one not_found error naming the prefixes', () => {
    const town = newTown({ alpha: 'al' });
    const router = new TownRouter(town);
    for (const [id, what] of [['zz-abcd1234', /its prefix zz names none of its stores \(hq for the town, al for alpha\)/], ['nodash', /it has no prefix/]] as const) {
      let err: unknown;
      try {
        router.storeFor(id);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BeadsError);
      expect(err).toMatchObject({ code: 'not_found', details: { id } });
      expect((err as BeadsError).message).toMatch(new RegExp(`^no bead "${id}" in town ${town.config.name}: `));
      expect((err as BeadsError).message).toMatch(what);
    }
  });
});

describe('rigStoreAt', () => {
  it('is the store of the rig a directory is anywhere inside, else null', () => {
    const town = newTown({ alpha: 'al', alphabet: 'ab' });
    const alpha = rigPaths(town, 'alpha');
    for (const dir of [alpha.dir, alpha.clone, join(alpha.polecats, 'nux', 'src'), `${alpha.dir}/polecats/../main`]) expect(rigStoreAt(town, dir)).toBe(alpha.store);
    // a rig whose name starts with another's is its own
    expect(rigStoreAt(town, join(rigPaths(town, 'alphabet').clone, 'src'))).toBe(rigPaths(town, 'alphabet').store);
    for (const dir of [town.root, join(town.root, 'mayor'), join(town.root, 'alph'), dirname(town.root)]) expect(rigStoreAt(town, dir)).toBeNull();
  });
});
