import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { testRepos } from './test-helpers.js';
import { createBead } from './mutations.js';
import { listBeads } from './query.js';
import { runDoctor, stateHash } from './doctor.js';
import { BeadsError } from './errors.js';
import { QUARANTINE_ATTRIBUTES_LINE, QUARANTINE_FILE, quarantineCorrupt } from './quarantine.js';

const { repo } = testRepos(afterEach);

describe('quarantineCorrupt (bd doctor --fix)', () => {
  it('moves corrupt lines out of the log with their text, keeps every good line and a torn tail, and unblocks the store', () => {
    const { root, store } = repo();
    createBead(store, 'tester', { title: 'first' });
    createBead(store, 'tester', { title: 'second' });
    const good = readFileSync(store.logPath, 'utf8');
    const hashBefore = stateHash(store);
    // corrupt lines between good ones: broken JSON, a schema failure, an empty line
    const bad = ['{"op_id":"x1","bead":', '{"op_id":"zz","bead":"gt-x"}', ''];
    const goodLines = good.trimEnd().split('\n');
    writeFileSync(store.logPath, [goodLines[0], bad[0], bad[1], goodLines[1], bad[2]].join('\n') + '\n');
    expect(() => listBeads(store, {})).toThrow(BeadsError);
    appendFileSync(store.logPath, '{"op_id":"torn'); // a writer killed mid-line

    const result = quarantineCorrupt(store, 'fixer', new Date('2026-11-26T10:00:00Z'));
    expect(result.file).toBe(join(dirname(store.displayLogPath), QUARANTINE_FILE));
    expect(result.moved.map((m) => [m.line, m.text])).toEqual([
      [2, bad[0]],
      [3, bad[1]],
      [5, ''],
    ]);
    expect(result.moved.map((m) => m.message)).toEqual([expect.stringMatching(/^not valid JSON/), 'kind is required', 'empty line']);
    // the log is the good lines, in order, then the torn tail as it was
    expect(readFileSync(store.logPath, 'utf8')).toBe(`${goodLines[0]}\n${goodLines[1]}\n{"op_id":"torn`);
    const records = readFileSync(join(store.dir, QUARANTINE_FILE), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records).toEqual(result.moved);
    expect(records[0]).toMatchObject({ file: store.displayPath(relative(store.dir, store.logPath)), moved_at: '2026-11-26T10:00:00.000Z', moved_by: 'fixer' });
    expect(readFileSync(join(root, '.gitattributes'), 'utf8').split('\n')).toContain(QUARANTINE_ATTRIBUTES_LINE);
    // the store works again and its state is exactly what the good lines make
    expect(stateHash(store)).toBe(hashBefore);
    expect(listBeads(store, {}).map((b) => b.title).sort()).toEqual(['first', 'second']);
    createBead(store, 'tester', { title: 'third' });
    expect(listBeads(store, {}).map((b) => b.title).sort()).toEqual(['first', 'second', 'third']);
  });

  it('leaves a clean log untouched and writes no quarantine file', () => {
    const { store } = repo();
    createBead(store, 'tester', { title: 'only' });
    const before = readFileSync(store.logPath);
    expect(quarantineCorrupt(store, 'fixer').moved).toEqual([]);
    expect(readFileSync(store.logPath).equals(before)).toBe(true);
    expect(existsSync(join(store.dir, QUARANTINE_FILE))).toBe(false);
  });

  it('runs before the doctor checks with fix, so the report is clean and says what moved', () => {
    const { store } = repo();
    createBead(store, 'tester', { title: 'only' });
    appendFileSync(store.logPath, 'garbage\n');
    expect(runDoctor(store).ok).toBe(false);
    const report = runDoctor(store, { fix: true, actor: 'fixer' });
    expect(report).toMatchObject({ ok: true, corrupt: [], beads: 1, lines: 1 });
    expect(report.quarantined?.moved.map((m) => m.text)).toEqual(['garbage']);
    expect(runDoctor(store, { fix: true }).quarantined?.moved).toEqual([]);
  });
});
