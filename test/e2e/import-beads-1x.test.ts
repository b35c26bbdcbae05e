// Beads 1.x data in: a JSONL export whose table dump writes nulls and 0/1 flags, and a `bd backup` folder
// (issues, dependencies, labels, comments, events, config) whose events become each bead's history.
import { afterEach, describe, expect, it } from '@jest/globals';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, bd, bdJson, tempDirs, logText } from './helpers.js';

const BACKUP = join(ROOT, 'test', 'data', 'beads-backup-1x');
const { git, store } = tempDirs(afterEach);

type Bead = Record<string, unknown> & { id: string; status: string };
type Op = { kind: string; actor: string; ts: string; fields?: Record<string, unknown>; reason?: string; text?: string; event_type?: string };

const show = (dir: string, id: string): Bead => bdJson<Bead[]>(dir, ['show', id])[0]!;
const exported = (dir: string): Map<string, Record<string, unknown>> =>
  new Map(bd(dir, ['export']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).map((r) => [r.id as string, r]));
const logSize = (dir: string): number => Buffer.byteLength(logText(dir));

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

  it("refuses a dependency on another project's capability by name, writing nothing", () => {
    const dir = store('bk');
    const file = join(dir, 'export.jsonl');
    writeFileSync(file, [{ id: 'bk-e1', title: 'Fine' }, { id: 'bk-e2', title: 'Needs another project', dependencies: [{ depends_on_id: 'external:other:cap', type: 'blocks' }] }].map((r) => JSON.stringify(r)).join('\n'));
    const r = bd(dir, ['import', file]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/export\.jsonl:2: bk-e2: external:other:cap is an external dependency/);
    expect(bdJson<unknown[]>(dir, ['list', '--all'])).toEqual([]);
  });
});

describe('a Beads 1.x backup folder', () => {
  it('imports issues with their labels, dependencies (dangling ones kept) and comments, each in its final state', () => {
    const dir = store('bk');
    expect(bdJson(dir, ['import', BACKUP])).toMatchObject({ created: 4, updated: 0, deleted: 0 });

    const a1 = show(dir, 'bk-a1');
    expect(a1).toMatchObject({ title: 'Set up the build', status: 'closed', assignee: 'bob', closed_at: '2026-03-03T16:30:00Z', close_reason: 'done in #12', labels: ['build', 'ci'], created_by: 'alice', created_at: '2026-03-02T09:00:00Z', updated_at: '2026-03-03T16:30:00Z', metadata: { sprint: 3, area: 'infra' }, pinned: false, ephemeral: false, is_template: false, owner: 'alice', closed_by_session: 'sess-41', started_at: '2026-03-02T10:00:00Z' });
    expect(a1.comments).toEqual([{ id: 1, issue_id: 'bk-a1', author: 'carol', text: 'Looks good to me', created_at: '2026-03-03T12:00:00Z' }]);
    expect(a1.dependencies).toEqual([{ issue_id: 'bk-a1', depends_on_id: 'bk-c3', type: 'parent-child', created_at: '2026-03-02T09:00:00Z', created_by: 'alice', thread_id: '' }]);

    const b2 = show(dir, 'bk-b2');
    expect(b2).toMatchObject({ status: 'open', priority: 1, pinned: true, estimated_minutes: 30, labels: ['docs'], updated_at: '2026-03-05T10:00:00Z' });
    expect(b2).not.toHaveProperty('assignee');
    expect(b2).not.toHaveProperty('metadata');
    expect(b2).not.toHaveProperty('comments');
    expect(b2.dependencies).toEqual([
      { issue_id: 'bk-b2', depends_on_id: 'bk-a1', type: 'blocks', created_at: '2026-03-04T08:01:00Z', created_by: 'alice', metadata: { note: 'after the build' }, thread_id: '' },
      { issue_id: 'bk-b2', depends_on_id: 'bk-zz9', type: 'related', created_at: '2026-03-04T08:02:00Z', created_by: 'carol' },
    ]);
    expect(show(dir, 'bk-c3')).toMatchObject({ status: 'in_progress', assignee: 'alice', is_template: true, external_ref: 'gh-7', due_at: '2026-04-01T00:00:00Z', labels: ['release'] });
    const d4 = show(dir, 'bk-d4');
    expect(d4).toMatchObject({ status: 'open', assignee: 'frank', ephemeral: true, updated_at: '2026-03-08T09:00:00Z' });
    expect(d4).not.toHaveProperty('closed_at');
    expect(d4).not.toHaveProperty('close_reason');

    // The dangling dependency is kept, and doctor names it as it names any other.
    const doctor = bdJson<{ ok: boolean; dangling_dependencies: unknown[] }>(dir, ['doctor']);
    expect(doctor.ok).toBe(true);
    expect(doctor.dangling_dependencies).toEqual([{ id: 'bk-b2', depends_on_id: 'bk-zz9', type: 'related' }]);
    // bk-b2 waits on bk-a1, which is closed: ready; bk-d4 is open: ready.
    expect(bdJson<{ id: string }[]>(dir, ['ready']).map((b) => b.id).sort()).toEqual(['bk-b2', 'bk-d4']);
  });

  it("turns the events table into each bead's history: who did what, and when", () => {
    const dir = store('bk');
    bdJson(dir, ['import', BACKUP]);
    const steps = (id: string) => bdJson<Op[]>(dir, ['history', id]).map((o) => [o.kind, o.actor, o.ts]);

    expect(steps('bk-a1')).toEqual([
      ['create', 'alice', '2026-03-02T09:00:00Z'],
      ['beads_event', 'alice', '2026-03-02T09:00:00Z'],
      ['claim', 'bob', '2026-03-02T10:00:00Z'],
      ['comment', 'carol', '2026-03-03T12:00:00Z'],
      ['close', 'bob', '2026-03-03T16:30:00Z'],
    ]);
    const a1 = bdJson<Op[]>(dir, ['history', 'bk-a1']);
    expect(a1[1]).toMatchObject({ event_type: 'label_added', comment: 'Added label: build' });
    expect(a1[4]).toMatchObject({ reason: 'done in #12' });

    const b2 = bdJson<Op[]>(dir, ['history', 'bk-b2']);
    expect(b2.map((o) => [o.kind, o.actor, o.ts])).toEqual([
      ['create', 'alice', '2026-03-04T08:00:00Z'],
      ['beads_event', 'alice', '2026-03-04T08:01:00Z'],
      ['set', 'alice', '2026-03-04T09:00:00Z'],
      ['set', 'alice', '2026-03-04T11:00:00Z'],
      ['beads_event', 'carol', '2026-03-04T11:30:00Z'],
      ['set', 'carol', '2026-03-05T10:00:00Z'],
    ]);
    // The first event's old value is the state it started from: priority 2, raised to 1 by carol.
    expect(b2[0]!.fields).toMatchObject({ priority: 2, status: 'open' });
    expect(b2.slice(2, 4).map((o) => o.fields)).toEqual([{ status: 'in_progress' }, { status: 'open' }]);
    expect(b2[5]!.fields).toEqual({ priority: 1 });
    expect(b2[4]).toMatchObject({ event_type: 'commented', comment: 'Kept only as an event in the old days' });

    expect(steps('bk-c3')).toEqual([
      ['create', 'dave', '2026-03-01T08:00:00Z'],
      ['claim', 'alice', '2026-03-06T09:00:00Z'],
    ]);
    // What no event explains (frank's assignment) is set last, by the import, at the row's updated_at.
    const d4 = bdJson<Op[]>(dir, ['history', 'bk-d4']);
    expect(d4.map((o) => [o.kind, o.actor, o.ts])).toEqual([
      ['create', 'erin', '2026-03-07T10:00:00Z'],
      ['close', 'erin', '2026-03-07T12:00:00Z'],
      ['comment', 'frank', '2026-03-08T08:55:00Z'],
      ['reopen', 'frank', '2026-03-08T09:00:00Z'],
      ['set', 'tester', '2026-03-08T09:00:00Z'],
    ]);
    expect(d4[4]!.fields).toEqual({ assignee: 'frank' });

    const text = bd(dir, ['history', 'bk-a1']).stdout;
    expect(text).toContain('2026-03-02T10:00:00Z  bob  claimed');
    expect(text).toContain('2026-03-03T16:30:00Z  bob  closed: done in #12');
    expect(text).toContain('2026-03-02T09:00:00Z  alice  label_added in Beads: Added label: build');
    const d4Text = bd(dir, ['history', 'bk-d4']).stdout;
    expect(d4Text).toContain('2026-03-08T09:00:00Z  frank  reopened');
    expect(d4Text).toContain('2026-03-08T09:00:00Z  tester  set assignee="frank"');
  });

  it('writes nothing when imported again, and its export keeps the unknown columns', () => {
    const dir = store('bk');
    bdJson(dir, ['import', BACKUP]);
    const before = logText(dir);
    expect(bdJson(dir, ['import', BACKUP])).toMatchObject({ created: 0, updated: 0, unchanged: 4, operations: 0 });
    expect(logText(dir)).toBe(before);

    const back = exported(dir);
    const rows = readFileSync(join(BACKUP, 'issues.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of rows) {
      const out = back.get(row.id as string)!;
      for (const column of ['content_hash', 'owner', 'closed_by_session', 'compaction_level', 'sender', 'wisp_type', 'mol_type', 'work_type', 'source_system', 'source_repo', 'estimated_minutes', 'started_at']) {
        if (row[column] !== null) expect([row.id, column, out[column]]).toEqual([row.id, column, row[column]]);
        else expect([row.id, column, out[column]]).toEqual([row.id, column, undefined]);
      }
    }
    // The export imports into another store as the same beads.
    const other = store('bk');
    const file = join(other, 'export.jsonl');
    writeFileSync(file, bd(dir, ['export']).stdout);
    expect(bdJson(other, ['import', file])).toMatchObject({ created: 4 });
    expect(exported(other)).toEqual(back);
  });

  it.each([
    ['events.jsonl', 4, (l: string) => l.replace('"2026-03-02T10:00:00Z"', '"yesterday"'), /events\.jsonl:4: .*created_at/],
    ['labels.jsonl', 3, (l: string) => l.replace('"docs"', '"two words"'), /labels\.jsonl:3: .*label/],
    ['issues.jsonl', 2, (l: string) => l.replace('"priority":1', '"priority":"high"'), /issues\.jsonl:2: .*priority/],
    ['comments.jsonl', 2, (l: string) => l.replace('"bk-d4"', '"bk-nowhere"'), /comments\.jsonl:2: .*bk-nowhere/],
    ['dependencies.jsonl', 1, (l: string) => l.replace('"metadata":"{}"', '"metadata":"{not json"'), /dependencies\.jsonl:1: .*metadata/],
    ['dependencies.jsonl', 2, (l: string) => l.replace('"depends_on_id":"bk-a1"', '"depends_on_id":"external:other:cap"'), /dependencies\.jsonl:2: bk-b2: external:other:cap is an external dependency/],
  ])('refuses a folder whose %s line %i is bad, naming the file, line and field, and writes nothing', (file, line, spoil, message) => {
    const dir = store('bk');
    const folder = join(git(), 'backup');
    cpSync(BACKUP, folder, { recursive: true });
    const lines = readFileSync(join(folder, file), 'utf8').split('\n');
    lines[line - 1] = spoil(lines[line - 1]!);
    writeFileSync(join(folder, file), lines.join('\n'));
    const size = logSize(dir);

    const r = bd(dir, ['import', folder]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(logSize(dir)).toBe(size);
    expect(bdJson<unknown[]>(dir, ['list', '--all'])).toEqual([]);
  });

  it('is what bd import --help says it takes', () => {
    const help = bd(store('bk'), ['import', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('Import a Beads JSONL export (v0.x or 1.x) or a Beads 1.x backup folder');
    expect(help).toContain('issues.jsonl, dependencies.jsonl, labels.jsonl, comments.jsonl, events.jsonl, config.jsonl');
  });

  it('refuses a folder without issues.jsonl', () => {
    const dir = store('bk');
    const r = bd(dir, ['import', git()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/issues\.jsonl/);
  });
});
