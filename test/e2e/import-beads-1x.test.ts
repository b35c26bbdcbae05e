// Beads 1.x data in: a JSONL export whose table dump writes nulls and 0/1 flags, and a `bd backup` folder
// (issues, dependencies, labels, comments, events, config) whose events become each bead's history.
import { afterEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bd, bdJson, tempDirs } from './helpers.js';

const { store } = tempDirs(afterEach);

type Bead = Record<string, unknown> & { id: string; status: string };

const show = (dir: string, id: string): Bead => bdJson<Bead[]>(dir, ['show', id])[0]!;
const exported = (dir: string): Map<string, Record<string, unknown>> =>
  new Map(bd(dir, ['export']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).map((r) => [r.id as string, r]));

describe('a Beads 1.x JSONL export', () => {
  it('reads null as absent, 0/1 flags as booleans and metadata given as a JSON string, and keeps unknown columns through bd export', () => {
    const dir = store('bk');
    const file = join(dir, 'export.jsonl');
    const rows = [
      { id: 'bk-n1', title: 'Nulls everywhere', description: '', status: 'open', priority: 2, issue_type: 'task', assignee: null, closed_at: null, external_ref: null, due_at: null, defer_until: null, created_at: '2026-03-01T08:00:00Z', created_by: 'alice', updated_at: '2026-03-01T08:00:00Z', pinned: 1, ephemeral: 0, is_template: 0, metadata: '{"sprint":3}', content_hash: 'ab12', owner: '', work_type: 'mutex', compaction_level: 0, spec_id: null, labels: ['one'], dependencies: [{ issue_id: 'bk-n1', depends_on_id: 'bk-gone', type: 'blocks', created_at: '2026-03-01T08:00:00Z', created_by: 'alice', metadata: '{"why":"x"}', thread_id: null }], comments: null },
      { id: 'bk-n2', title: 'Closed one', status: 'closed', priority: 1, issue_type: 'bug', assignee: 'bob', closed_at: '2026-03-02 10:00:00', close_reason: 'fixed', created_at: '2026-03-01 09:00:00', created_by: null, updated_at: '2026-03-02 10:00:00', pinned: 0, is_template: 1, metadata: '{}', labels: null, dependencies: null },
    ];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

    expect(bdJson(dir, ['import', file])).toMatchObject({ created: 2, operations: 2 });
    const n1 = show(dir, 'bk-n1');
    expect(n1).not.toHaveProperty('assignee');
    expect(n1).not.toHaveProperty('closed_at');
    expect(n1).not.toHaveProperty('spec_id');
    expect(n1).not.toHaveProperty('comments');
    expect(n1).toMatchObject({ pinned: true, ephemeral: false, is_template: false, metadata: { sprint: 3 }, content_hash: 'ab12', owner: '', work_type: 'mutex', compaction_level: 0, labels: ['one'] });
    expect(n1.dependencies).toEqual([{ issue_id: 'bk-n1', depends_on_id: 'bk-gone', type: 'blocks', created_at: '2026-03-01T08:00:00Z', created_by: 'alice', metadata: { why: 'x' } }]);
    const n2 = show(dir, 'bk-n2');
    expect(n2).toMatchObject({ status: 'closed', assignee: 'bob', closed_at: '2026-03-02T10:00:00Z', created_at: '2026-03-01T09:00:00Z', pinned: false, is_template: true });
    expect(n2).not.toHaveProperty('metadata');
    expect(n2).not.toHaveProperty('created_by');

    const back = exported(dir);
    expect(back.get('bk-n1')).toMatchObject({ content_hash: 'ab12', owner: '', work_type: 'mutex', compaction_level: 0, pinned: true });
    expect(Object.values(back.get('bk-n1')!)).not.toContain(null);
    expect(bdJson(dir, ['import', file])).toMatchObject({ created: 0, updated: 0, unchanged: 2, operations: 0 });
  });
});
