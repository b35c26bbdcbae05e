import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { historyDrafts, type TimelineRow } from './beads-history.js';
import { foldOperations } from './fold.js';
import { canonicalBead } from './record.js';
import type { Op } from './types.js';

const ACTORS = ['alice', 'bob', ''];
const STATUSES = ['open', 'in_progress', 'blocked', 'closed', 'deferred'];

/** Folds drafts as the store would stamp them: in order, each with its own actor and time. */
function folded(drafts: { actor?: string; ts?: string }[]): unknown {
  const ops = drafts.map((d, i) => ({ ...d, op_id: `op${String(i).padStart(6, '0')}`, lc: i + 1, actor: d.actor ?? 'importer', ts: d.ts }) as Op);
  return canonicalBead([...foldOperations(ops).values()][0]!.bead);
}

const minute = (n: number): string => new Date(Date.UTC(2026, 2, 1) + n * 60_000).toISOString().replace('.000', '');

const eventArb = fc.record({
  event_type: fc.constantFrom('claimed', 'closed', 'reopened', 'status_changed', 'updated', 'label_added', 'commented', 'compacted', 'lease_reclaimed'),
  actor: fc.constantFrom(...ACTORS),
  at: fc.integer({ min: 0, max: 5000 }),
  status: fc.constantFrom(...STATUSES, 'tombstone'),
  update: fc.constantFrom<Record<string, unknown>>({ priority: 0 }, { priority: 3 }, { assignee: '' }, { assignee: null }, { assignee: 'zed', notes: 'n' }, { metadata: '{"a":1}' }, { pinned: 1 }),
  comment: fc.option(fc.constantFrom('done', 'Added label: x', 'a note'), { nil: null }),
});

const rowArb = fc.record({
  status: fc.constantFrom(...STATUSES, 'tombstone'),
  assignee: fc.option(fc.constantFrom('alice', 'carol'), { nil: undefined }),
  priority: fc.integer({ min: 0, max: 4 }),
  close_reason: fc.option(fc.constantFrom('fixed', 'dup'), { nil: undefined }),
  labels: fc.option(fc.constant(['x', 'y']), { nil: undefined }),
  owner: fc.constantFrom('', 'dave'),
});

describe('a Beads issue rebuilt from its events', () => {
  it('folds to exactly its row, whatever the events say, each operation with the event actor and time', () => {
    fc.assert(
      fc.property(rowArb, fc.array(eventArb, { maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 3 }), (row, evs, commentTimes) => {
        const target: Record<string, unknown> = { id: 'bk-1', title: 'T', issue_type: 'task', created_at: minute(0), created_by: 'erin', updated_at: minute(6000), ...Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) };
        if (target.status === 'closed') target.closed_at = minute(5500);
        if (target.status === 'tombstone') Object.assign(target, { deleted_at: minute(5800), deleted_by: 'bob', delete_reason: 'gone' });
        const comments: TimelineRow[] = commentTimes.map((t, i) => ({ row: { issue_id: 'bk-1', author: 'carol', text: `c${i}`, created_at: minute(t) }, file: 'comments.jsonl', line: i + 1 }));
        if (comments.length) target.comments = comments.map((c, i) => ({ id: i + 1, author: 'carol', text: c.row.text, created_at: c.row.created_at }));
        const events: TimelineRow[] = [{ row: { issue_id: 'bk-1', event_type: 'created', actor: 'erin', created_at: minute(0) }, file: 'events.jsonl', line: 1 }].concat(
          evs.map((e, i) => ({
            row: { issue_id: 'bk-1', event_type: e.event_type, actor: e.actor, comment: e.comment, created_at: minute(e.at), new_value: e.event_type === 'status_changed' ? JSON.stringify({ status: e.status }) : e.event_type === 'updated' ? JSON.stringify(e.update) : null },
            file: 'events.jsonl',
            line: i + 2,
          })),
        );
        const drafts = historyDrafts(target, events, comments, 'importer')!;
        expect(folded(drafts)).toEqual(folded([{ bead: 'bk-1', kind: 'create', ts: minute(0), fields: { ...target, created_by: 'erin' } } as never]));
        // every event and every comment is there, with its own time; the importer writes at most the last one
        const own = drafts.slice(1).filter((d) => d.actor !== 'importer');
        expect(own).toHaveLength(evs.length + comments.length);
        expect(own.map((d) => d.ts).sort()).toEqual([...evs.map((e) => minute(e.at)), ...commentTimes.map(minute)].sort());
        expect(drafts.filter((d) => d.actor === 'importer').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('writes one create when the issue has no events', () => {
    expect(historyDrafts({ id: 'bk-1', title: 'T', created_at: minute(0), updated_at: minute(0) }, [], [], 'importer')).toBeNull();
  });
});
