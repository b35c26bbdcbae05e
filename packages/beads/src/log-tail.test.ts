// Following the log: each read returns only what was appended, reading only the new bytes; new segments are
// picked up; a rewritten file makes one full read that says so.
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testRepos, withConfig } from './test-helpers.js';
import { LogTail } from './log-tail.js';
import { closeBead, createBead } from './mutations.js';

const { repo } = testRepos(afterEach);

describe('LogTail', () => {
  it('reads the whole log first, then only the bytes appended since, and nothing when nothing changed', () => {
    const { store } = repo();
    const a = createBead(store, 'a', { title: 'one' });
    createBead(store, 'a', { title: 'two' });
    const tail = new LogTail(store.dir);
    const first = tail.read();
    expect(first.ops.map((o) => o.kind)).toEqual(['create', 'create']);
    expect(first.reset).toBe(false);
    const size = statSync(join(store.dir, store.logFiles()[0]!)).size;
    expect(tail.stats).toEqual({ bytes: size, ops: 2, resets: 0 });

    expect(tail.read().ops).toEqual([]);
    expect(tail.stats).toEqual({ bytes: size, ops: 2, resets: 0 });

    closeBead(store, 'b', a.id, 'done');
    const next = tail.read();
    expect(next.ops.map((o) => [o.kind, o.bead, o.actor])).toEqual([['close', a.id, 'b']]);
    const grown = statSync(join(store.dir, store.logFiles()[0]!)).size;
    expect(tail.stats).toEqual({ bytes: grown, ops: 3, resets: 0 }); // the new line's bytes, not the file's again
  });

  it('picks up a new segment', () => {
    const { store } = repo();
    const small = withConfig(store, { segment_bytes: 100 });
    createBead(small, 'a', { title: 'one' });
    const tail = new LogTail(small.dir);
    expect(tail.read().ops).toHaveLength(1);
    createBead(small, 'a', { title: 'two' }); // the first segment is full: a second one starts
    expect(small.logFiles().length).toBe(2);
    const next = tail.read();
    expect(next.ops.map((o) => (o.fields as { title: string }).title)).toEqual(['two']);
    expect(tail.stats.ops).toBe(2);
  });

  it('a file rewritten before its mark is read again from the start, and the read says so', () => {
    const { store } = repo();
    createBead(store, 'a', { title: 'one' });
    createBead(store, 'a', { title: 'two' });
    const tail = new LogTail(store.dir);
    tail.read();
    const file = join(store.dir, store.logFiles()[0]!);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, [lines[1], lines[0]].join('\n') + '\n'); // as a merge may leave it: the same lines, reordered
    const again = tail.read();
    expect(again.reset).toBe(true);
    expect(again.ops).toHaveLength(2);
    expect(tail.stats.resets).toBe(1);
    expect(tail.read()).toEqual({ ops: [], reset: false, corrupt: [] });
  });
});
