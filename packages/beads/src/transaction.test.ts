import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testRepos } from './test-helpers.js';
import { addDependency, closeBead, createBead, deleteBead } from './mutations.js';
import { BeadsError } from './errors.js';
import type { BeadStore } from './store.js';
import { RECORD_KINDS, type Op, type RecordKind } from './types.js';

const { repo } = testRepos(afterEach);
const BEADS = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const logOps = (store: BeadStore): Op[] => readFileSync(store.logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);

function refusal(store: BeadStore, run: () => unknown): BeadsError {
  const before = readFileSync(store.logPath, 'utf8');
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BeadsError);
  expect(readFileSync(store.logPath, 'utf8')).toBe(before); // nothing written
  return err as BeadsError;
}

describe('store.transaction', () => {
  it('appends every step as one write: consecutive clocks, one time, the steps in order', () => {
    const { store } = repo();
    const other = createBead(store, 'a', { title: 'other' });
    const before = logOps(store).length;
    const result = store.transaction('alice', (tx) => {
      const a = tx.create({ title: 'a', metadata: { k: 1 } });
      const b = tx.create({ title: 'b', parent: a, deps: [{ type: 'blocks', id: other.id }] });
      tx.set(b, { priority: 0, metadata: { k: 2, n: 'x' } });
      tx.link(a, 'related', other.id);
      tx.record(b, 'gate', { command: 'true', exit_code: 0, duration_ms: 3, output: '', passed: true });
      tx.close(b, 'done');
      return { a, b };
    });
    const ops = logOps(store).slice(before);
    expect(ops.map((o) => o.kind)).toEqual(['create', 'create', 'set', 'metadata', 'dep_add', 'gate', 'close']);
    expect(ops.map((o) => o.lc)).toEqual(ops.map((_, i) => ops[0]!.lc + i));
    expect(new Set(ops.map((o) => o.ts)).size).toBe(1);
    expect(ops.every((o) => o.actor === 'alice')).toBe(true);
    // operations on a bead created in the same write name no origin: the fold takes its create
    expect(ops.slice(2).every((o) => o.origin === undefined || o.bead === other.id)).toBe(true);
    const b = store.get(result.b);
    expect(b).toMatchObject({ status: 'closed', close_reason: 'done', priority: 0, metadata: { k: 2, n: 'x' } });
    expect(b.dependencies?.map((d) => [d.type, d.depends_on_id])).toEqual([['parent-child', result.a], ['blocks', other.id]]);
    expect(store.get(result.a).dependencies?.map((d) => d.type)).toEqual(['related']);
    // metadata is written key by key: only what changed
    expect(ops[3]!.metadata).toEqual({ k: 2, n: 'x' });
  });

  it('reopens a closed bead in the same write as other steps, and refuses one that is not closed', () => {
    const { store } = repo();
    const x = createBead(store, 'a', { title: 'x' });
    store.transaction('a', (tx) => tx.close(x.id, 'first'));
    store.transaction('a', (tx) => {
      tx.reopen(x.id, 'again');
      tx.set(x.id, { metadata: { round: 2 } });
    });
    expect(store.get(x.id)).toMatchObject({ status: 'open', metadata: { round: 2 } });
    expect(store.get(x.id).closed_at).toBeUndefined();
    const err = (() => {
      try {
        store.transaction('a', (tx) => tx.reopen(x.id));
      } catch (e) {
        return e as BeadsError;
      }
      return null;
    })();
    expect(err?.code).toBe('conflict');
  });

  it('adds a label in the same write as other steps; one already there is not written again, a bad one is refused', () => {
    const { store } = repo();
    const x = createBead(store, 'a', { title: 'x', labels: ['kept'] });
    const before = logOps(store).length;
    store.transaction('a', (tx) => {
      tx.set(x.id, { status: 'open', metadata: { held: true } });
      tx.addLabel(x.id, 'released');
      tx.addLabel(x.id, 'kept');
    });
    expect(store.get(x.id)).toMatchObject({ labels: ['kept', 'released'], metadata: { held: true } });
    expect(logOps(store).slice(before).map((o) => o.kind)).toEqual(['set', 'metadata', 'label_add']);
    expect(refusal(store, () => store.transaction('a', (tx) => tx.addLabel(x.id, 'two words'))).code).toBe('invalid_input');
  });

  it('reads through the transaction see its own steps; a bead may need one reserved for a later create', () => {
    const { store } = repo();
    const ids = store.transaction('a', (tx) => {
      const later = tx.newId();
      const first = tx.create({ title: 'first', deps: [{ type: 'blocks', id: later }] });
      expect(tx.get(first).title).toBe('first');
      tx.set(first, { title: 'renamed' });
      expect(tx.get(first).title).toBe('renamed');
      expect(tx.view.hasId(first)).toBe(false); // the view is the store as the transaction began
      tx.create({ id: later, title: 'second' });
      return { first, later };
    });
    expect(store.get(ids.first).title).toBe('renamed');
    expect(store.get(ids.first).dependencies?.[0]?.depends_on_id).toBe(ids.later);
    expect(store.get(ids.later).title).toBe('second');
  });

  it('a step that fails in the middle aborts the whole transaction: one BeadsError naming the problem, nothing written', () => {
    const { store } = repo();
    const x = createBead(store, 'a', { title: 'x' });
    const gone = createBead(store, 'a', { title: 'gone' });
    deleteBead(store, 'a', gone.id);
    const cases: [string, (tx: Parameters<Parameters<BeadStore['transaction']>[1]>[0]) => void, string, RegExp][] = [
      ['a control character in a title', (tx) => tx.create({ title: 'bad\u001b[31m' }), 'invalid_input', /invalid title "bad\\u001b\[31m": control characters are not allowed/],
      ['an unknown dependency type', (tx) => tx.link(x.id, 'sometimes', x.id), 'invalid_input', /invalid deps\.0\.type "sometimes": must be one of blocks/],
      ['a dependency on a missing bead', (tx) => tx.create({ title: 'y', parent: 'gt-nothere0' }), 'not_found', /no bead gt-nothere0/],
      ['a change to a deleted bead', (tx) => tx.set(gone.id, { title: 'z' }), 'not_found', new RegExp(`${gone.id} was deleted`)],
      ['a dependency on itself', (tx) => tx.link(x.id, 'blocks', x.id), 'invalid_input', /cannot depend on itself/],
      ['a cycle through a bead created here', (tx) => {
        const y = tx.create({ title: 'y', deps: [{ type: 'blocks', id: x.id }] });
        tx.link(x.id, 'blocks', y);
      }, 'conflict', /would close a dependency cycle: gt-\w+ -> gt-\w+ -> gt-\w+/],
      ['closing a bead twice', (tx) => {
        tx.close(x.id);
        tx.close(x.id);
      }, 'conflict', /is already closed/],
      ['a record kind the schema does not know', (tx) => tx.record(x.id, 'attempt' as RecordKind, { n: 1 }), 'invalid_input', /invalid kind "attempt": must be one of gate/],
      ['a gate record without its command', (tx) => tx.record(x.id, 'gate', { passed: true }), 'invalid_input', /payload\.command is required/],
      ['a record payload setting what the store writes', (tx) => tx.record(x.id, 'gate', { command: 'true', passed: true, lc: 1 }), 'invalid_input', /payload cannot set lc/],
      ['a reserved id never created', (tx) => void tx.create({ title: 'y', deps: [{ type: 'blocks', id: tx.newId() }] }), 'invalid_input', /reserved but never created/],
      ['an explicit id that exists', (tx) => tx.create({ id: x.id, title: 'y' }), 'conflict', /already exists/],
    ];
    for (const [name, step, code, message] of cases) {
      const err = refusal(store, () =>
        store.transaction('a', (tx) => {
          tx.create({ title: `before ${name}` }); // a good step first: it must not be written either
          tx.record(x.id, 'gate', { command: 'true', passed: true });
          step(tx);
          tx.create({ title: `after ${name}` });
        }),
      );
      expect([name, err.code, err.message]).toEqual([name, code, expect.stringMatching(message)]);
    }
    expect(store.get(x.id).status).toBe('open');
  });

  it('knows the record kinds the schema knows', () => {
    const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../schemas/inputs.schema.json', import.meta.url)), 'utf8')) as { definitions: { recordKind: { enum: string[] } } };
    expect(schema.definitions.recordKind.enum).toEqual([...RECORD_KINDS]);
  });

  it('the one-step mutations built on it still refuse bad input before they look at the store', () => {
    const { store } = repo();
    const x = createBead(store, 'a', { title: 'x' });
    appendFileSync(store.logPath, 'not json\n{"op_id":"zzzzzzzzzzzzzzzz"}\n'); // a corrupt log: any look at the store fails
    expect(() => createBead(store, 'a', { title: ' ' })).toThrow(/^title must not be blank$/);
    expect(() => addDependency(store, 'a', x.id, x.id, 'sometimes')).toThrow(/^invalid deps\.0\.type "sometimes"/);
    expect(() => closeBead(store, 'a', x.id, 'bad\u0007')).toThrow(/^invalid reason "bad\\u0007"/);
    expect(() => closeBead(store, 'a', x.id)).toThrow(/corrupt line in the bead log/);
  });

  it('a dry run decides and checks every step, and writes nothing', () => {
    const { store } = repo();
    const x = createBead(store, 'a', { title: 'x' });
    const before = readFileSync(store.logPath, 'utf8');
    expect(store.transaction('a', (tx) => tx.create({ title: 'y', parent: x.id }).startsWith('gt-'), { dryRun: true })).toBe(true);
    expect(readFileSync(store.logPath, 'utf8')).toBe(before);
    expect(() => store.transaction('a', (tx) => tx.close('gt-nothere0'), { dryRun: true })).toThrow(/no bead gt-nothere0/);
  });

  it('transactions of two processes never interleave: each one\'s operations are contiguous in the log', async () => {
    const { store } = repo();
    const script = `
      import { BeadStore } from ${JSON.stringify(BEADS)};
      const [dir, who] = process.argv.slice(1);
      const store = BeadStore.open(dir);
      for (let t = 0; t < 40; t++) store.transaction(who, (tx) => {
        const root = tx.create({ title: who + ' ' + t + ' root' });
        for (let i = 0; i < 6; i++) tx.create({ title: who + ' ' + t + ' ' + i, parent: root });
        tx.record(root, 'gate', { command: 'true', passed: true });
      });`;
    const run = (who: string): Promise<number | null> =>
      new Promise((resolve) => spawn(process.execPath, ['--input-type=module', '-e', script, store.dir, who], { stdio: 'inherit' }).on('exit', resolve));
    expect(await Promise.all([run('p'), run('q')])).toEqual([0, 0]);
    const ops = logOps(store);
    expect(ops).toHaveLength(2 * 40 * 8);
    // a transaction's operations are its actor's 8 lines in a row, whatever the other process did meanwhile
    for (let i = 0; i < ops.length; i += 8) {
      const group = ops.slice(i, i + 8);
      expect(new Set(group.map((o) => o.actor)).size).toBe(1);
      expect(String(group[0]!.fields?.title)).toMatch(/^[pq] \d+ root$/);
      expect(group.map((o) => o.lc)).toEqual(group.map((_, k) => group[0]!.lc + k));
    }
    expect(new Set(ops.map((o) => o.lc)).size).toBe(ops.length);
  }, 60_000);
});

describe('history', () => {
  it('gives each bead\'s operations in the store\'s total order, of the kinds asked for', () => {
    const { store } = repo();
    const [a, b] = store.transaction('a', (tx) => [tx.create({ title: 'a' }), tx.create({ title: 'b' })]);
    store.transaction('b', (tx) => {
      tx.record(a!, 'gate', { command: 'make test', passed: false, exit_code: 2 });
      tx.set(b!, { title: 'b2' });
      tx.close(a!, 'failed');
    });
    const all = store.historyOf([a!, b!]);
    expect([...all.keys()]).toEqual([a, b]);
    expect(all.get(a!)!.map((o) => o.kind)).toEqual(['create', 'gate', 'close']);
    expect(all.get(b!)!.map((o) => [o.kind, o.actor])).toEqual([['create', 'a'], ['set', 'b']]);
    const lcs = all.get(a!)!.map((o) => o.lc);
    expect(lcs).toEqual([...lcs].sort((x, y) => x - y));
    expect(store.history(a!.slice(0, 6), { kinds: ['gate'] })).toEqual([expect.objectContaining({ kind: 'gate', command: 'make test', passed: false, exit_code: 2, bead: a })]);
    expect(store.history(a!)).toEqual(all.get(a!));
    expect(() => store.historyOf(['gt-nothere0'])).toThrow(/no bead gt-nothere0/);
  });
});
