import { afterEach, describe, expect, it } from '@jest/globals';
import { testRepos } from './test-helpers.js';
import { addLabel, closeBead, createBead, updateBead } from './mutations.js';
import { listBeads, searchBeads } from './query.js';
import type { Bead } from './types.js';

const { repo } = testRepos(afterEach);

const titles = (beads: Bead[]): string[] => beads.map((b) => b.title).sort();

/** Beads open and closed whose texts spell things JSON escapes or that appear in other fields. */
function store() {
  const s = repo().store;
  const quoted = createBead(s, 'tester', { title: 'say "hello"', description: 'a back\\slash and a\ttab' });
  const bug = createBead(s, 'tester', { title: 'Greek ΟΔΟΣ', issue_type: 'bug', assignee: 'alice' });
  const mol = createBead(s, 'tester', { title: 'mentions "issue_type":"bug" in text', description: 'status closed' });
  const plain = createBead(s, 'tester', { title: 'plain', metadata: { status: 'closed' } });
  addLabel(s, 'tester', bug.id, 'needs-review');
  updateBead(s, 'tester', plain.id, { assignee: 'bob' });
  for (const b of [quoted, bug, mol]) closeBead(s, 'tester', b.id, 'done');
  return s;
}

describe('list and search over every bead (closed ones included)', () => {
  it('filters by status, type, assignee and labels the same whether or not the text test rules beads out', () => {
    const s = store();
    expect(titles(listBeads(s, { all: true, issue_type: ['bug'] }))).toEqual(['Greek ΟΔΟΣ']);
    expect(titles(listBeads(s, { status: ['closed'] }))).toEqual(['Greek ΟΔΟΣ', 'mentions "issue_type":"bug" in text', 'say "hello"']);
    expect(titles(listBeads(s, { all: true, assignee: 'alice' }))).toEqual(['Greek ΟΔΟΣ']);
    expect(titles(listBeads(s, { all: true, assignee: '' }))).toEqual(['mentions "issue_type":"bug" in text', 'say "hello"']);
    expect(titles(listBeads(s, { all: true, labels: ['needs-review'] }))).toEqual(['Greek ΟΔΟΣ']);
    expect(titles(listBeads(s, { status: ['open'], assignee: 'bob' }))).toEqual(['plain']);
    expect(titles(listBeads(s, { all: true, status: ['closed'], issue_type: ['task'] }))).toEqual(['mentions "issue_type":"bug" in text', 'say "hello"']);
  });

  it('finds words that JSON escapes, in any case, in every searched field', () => {
    const s = store();
    expect(titles(searchBeads(s, '"hello"'))).toEqual(['say "hello"']);
    expect(titles(searchBeads(s, 'back\\slash'))).toEqual(['say "hello"']);
    expect(titles(searchBeads(s, 'a\ttab'))).toEqual(['say "hello"']);
    expect(titles(searchBeads(s, 'οδος'))).toEqual(['Greek ΟΔΟΣ']);
    expect(titles(searchBeads(s, 'STATUS CLOSED'))).toEqual(['mentions "issue_type":"bug" in text']);
    expect(titles(searchBeads(s, 'closed'))).toEqual(['mentions "issue_type":"bug" in text']); // not the metadata of "plain"
    expect(titles(searchBeads(s, 'e', { issue_type: ['bug'] }))).toEqual(['Greek ΟΔΟΣ']);
    expect(searchBeads(s, 'nowhere at all')).toEqual([]);
  });
});
