import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, bd, bdJson, tempDirs, logText } from './helpers.js';

const SAMPLE = join(ROOT, 'test', 'data', 'beads-export-sample.jsonl');
type Rec = { id: string; status: string; issue_type: string; priority: number; created_at: string; defer_until?: string; labels?: string[]; dependencies?: { depends_on_id: string; type: string }[] };

const { store } = tempDirs(afterEach);

/**
 * Beads' rules for ready and blocked, written straight over the export's snapshots (independently of the
 * store's fold and caches): a blocker counts while it exists and is neither closed nor deleted; a bead with
 * such a blocker is blocked whatever its own status (a deleted one has no dependencies in Beads), and so is
 * every bead under it by parent-child.
 */
function reference(records: Rec[], now = Date.now()) {
  const NON_WORK = new Set(['molecule', 'message', 'merge-request', 'timer', 'resource', 'service', 'convoy', 'agent']);
  const byId = new Map(records.map((r) => [r.id, r]));
  const live = (r: Rec | undefined) => r !== undefined && r.status !== 'closed' && r.status !== 'tombstone';
  const ownBlockers = (r: Rec) => (r.dependencies ?? []).filter((d) => (d.type === 'blocks' || d.type === 'waits-for') && live(byId.get(d.depends_on_id)));
  const blocked = (id: string, seen: Set<string> = new Set()): boolean => {
    const r = byId.get(id);
    if (!r || seen.has(id)) return false;
    seen.add(id);
    if (r.status !== 'tombstone' && ownBlockers(r).length) return true;
    return (r.dependencies ?? []).some((d) => d.type === 'parent-child' && blocked(d.depends_on_id, seen));
  };
  const ready = records
    .filter((r) => r.status === 'open' && !NON_WORK.has(r.issue_type) && !(r.defer_until && Date.parse(r.defer_until) > now) && !blocked(r.id))
    .sort((a, b) => a.priority - b.priority || Date.parse(a.created_at) - Date.parse(b.created_at) || (a.id < b.id ? -1 : 1))
    .map((r) => r.id);
  const blockedIds = records.filter((r) => live(r) && !NON_WORK.has(r.issue_type) && blocked(r.id)).map((r) => r.id).sort();
  return { ready, blocked: blockedIds };
}

describe('importing the Beads tracker sample (1,955 issues)', () => {
  it('keeps every record, answers ready and blocked by Beads rules, and exports what it imported', () => {
    const dir = store('bd');
    const text = readFileSync(SAMPLE, 'utf8');
    const records = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
    expect(records).toHaveLength(1955);

    const result = bdJson<{ created: number; deleted: number; operations: number }>(dir, ['import', SAMPLE]);
    expect(result).toMatchObject({ created: 1955, deleted: 338, operations: 1955 });

    const stats = bdJson<{ total: number; deleted: number; by_status: Record<string, number> }>(dir, ['stats']);
    expect(stats).toMatchObject({ total: 1617, deleted: 338, by_status: { closed: 1566, open: 34, hooked: 17 } });
    expect(bdJson<unknown[]>(dir, ['list', '--all', '--limit', '0'])).toHaveLength(1617);

    const expected = reference(records);
    // Figures worked out by hand from the export, so that the reference itself is checked too. No closed bead
    // of the export has a blocker still open, so Beads' rule through closed ancestors changes neither figure.
    expect(expected.ready).toHaveLength(22);
    expect(expected.blocked).toEqual(['bd-bvec']);
    expect(bdJson<{ id: string }[]>(dir, ['ready', '--limit', '0']).map((b) => b.id)).toEqual(expected.ready);
    expect(bdJson<{ id: string }[]>(dir, ['blocked']).map((b) => b.id).sort()).toEqual(expected.blocked);

    // Export gives back every record as it came in: unknown types and fields, tombstones, comments.
    const exported = bd(dir, ['export']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(exported).toHaveLength(1955);
    const back = new Map(exported.map((r) => [r.id as string, r]));
    for (const rec of records as unknown as Record<string, unknown>[]) {
      const want = { ...rec, ...(Array.isArray(rec.labels) ? { labels: [...(rec.labels as string[])].sort() } : {}) };
      expect(back.get(rec.id as string)).toEqual(want);
    }

    // Importing the same file again changes nothing.
    const before = logText(dir);
    expect(bdJson(dir, ['import', SAMPLE])).toMatchObject({ created: 0, updated: 0, unchanged: 1955, operations: 0 });
    expect(logText(dir)).toBe(before);

    // A changed field comes through as one update.
    const edited = text.replace('"title":"Create npm package structure for bd-wasm"', '"title":"Renamed in the tracker"');
    writeFileSync(join(dir, 'edited.jsonl'), edited);
    expect(bdJson(dir, ['import', join(dir, 'edited.jsonl')])).toMatchObject({ created: 0, updated: 1, unchanged: 1954 });
    expect(bdJson<{ title: string }[]>(dir, ['show', 'bd-0088'])[0]!.title).toBe('Renamed in the tracker');
  });
});
