// catchUp took the log's file names AFTER reading the grown files: a segment that appeared in between (a git
// pull or checkout writing files while a reader catches up, which holds only the store's lock, not git's) had
// no mark, and the new meta's log list got an undefined entry. It now takes the files as compared.
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testRepos } from './test-helpers.js';
import { BeadStore } from './store.js';
import { createBead } from './mutations.js';
import { listBeads } from './query.js';
import { CacheReader, readMeta } from './cache.js';
import { catchUp } from './catch-up.js';
import { compareLog } from './log-files.js';

const { repo } = testRepos(afterEach);

describe('catch-up while a pull brings a segment', () => {
  it('a segment that appears between the comparison and the catch-up is not a hole in the marks', () => {
    const r = repo();
    const store = r.store;
    createBead(store, 'a', { title: 'one' });
    listBeads(store, {}); // the cache covers 'one'
    const meta = readMeta(store.cacheDir)!;
    createBead(BeadStore.open(store.dir), 'a', { title: 'two' }); // (with its own process's cache: the meta above is older)
    const cmp = compareLog(store.dir, meta.log);
    expect(cmp.state).toBe('grown');
    // git pull writes another clone's segment now
    const line = readFileSync(join(store.dir, store.logFiles()[0]!), 'utf8').split('\n')[0]!.replace(/"op_id":"[^"]+"/, '"op_id":"zzzzzzzzzzzzzzzz"').replace(/"bead":"[^"]+"/, '"bead":"gt-pulled01"').replace('"title":"one"', '"title":"pulled"');
    writeFileSync(join(store.dir, 'log', '000009-zzzzzzzz.jsonl'), line + '\n');
    const next = catchUp(new CacheReader(store.cacheDir, meta), store.dir, cmp, (n) => n);
    expect(next!.meta.log.every((m) => m && typeof m.name === 'string')).toBe(true);
    expect(listBeads(BeadStore.open(store.dir), {}).map((b) => b.title).sort()).toEqual(['one', 'pulled', 'two']);
  });
});
