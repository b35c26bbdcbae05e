// A BeadStore opened before bd migrate (a long-lived process: a daemon, an agent's session) kept its config, so
// it went on appending to ops.jsonl, which migration sealed, and every sync then committed the whole file again.
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testRepos } from './test-helpers.js';
import { BeadStore, CONFIG_FILE } from './store.js';
import { createBead } from './mutations.js';
import { migrateStore } from './migrate.js';

const { repo } = testRepos(afterEach);

describe('a store opened before bd migrate', () => {
  it('writes to a segment after the migration, not to the sealed ops.jsonl', () => {
    const r = repo();
    writeFileSync(join(r.store.dir, CONFIG_FILE), JSON.stringify({ prefix: 'gt', format: 1 }));
    rmSync(join(r.store.dir, 'log'), { recursive: true, force: true });
    const longLived = BeadStore.open(r.store.dir);
    createBead(longLived, 'a', { title: 'before' });
    const sealed = readFileSync(join(r.store.dir, 'ops.jsonl'), 'utf8');
    expect(migrateStore(BeadStore.open(r.store.dir)).migrated).toBe(true);
    createBead(longLived, 'a', { title: 'after' });
    expect(readFileSync(join(r.store.dir, 'ops.jsonl'), 'utf8')).toBe(sealed);
  });
});
