import { describe, expect, it } from '@jest/globals';
import type { Bead } from '@gastown/beads';
import type { MqMeta } from '../model.js';
import { queueOrder, type MergeRequest } from './queue.js';

const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const HOUR = 3_600_000;

/** A queued merge request of priority `p`, queued `minutesAgo` before T0. */
function mr(id: string, p: number, minutesAgo: number, retries = 0): MergeRequest {
  const queued_at = new Date(T0 - minutesAgo * 60_000).toISOString();
  const mq: MqMeta = { state: 'queued', queued_at, retries, reworks: 0, attempts: [] };
  const bead = { id, title: id, status: 'open', priority: p, issue_type: 'merge-request', created_at: queued_at, updated_at: queued_at } as Bead;
  return { bead, meta: { branch: `b-${id}`, target: 'main', source_bead: `s-${id}`, worker: 'r/polecats/x', commit: 'c' }, mq };
}

const order = (mrs: MergeRequest[], maxWaitMs = HOUR): string[] => queueOrder(mrs, T0, maxWaitMs).map((m) => m.bead.id);

describe('the merge queue order', () => {
  it('is priority first, then age (oldest first), then id', () => {
    expect(order([mr('a', 2, 5), mr('b', 1, 1), mr('c', 2, 30), mr('d', 1, 10), mr('f', 2, 5), mr('e', 2, 5)])).toEqual(['d', 'b', 'c', 'a', 'e', 'f']);
  });

  it('puts a merge request that waited longer than max_wait ahead of everything, oldest first', () => {
    const mrs = [mr('p1-new', 1, 1), mr('p3-old', 3, 61), mr('p0-new', 0, 2), mr('p2-older', 2, 90)];
    expect(order(mrs)).toEqual(['p2-older', 'p3-old', 'p0-new', 'p1-new']);
    // with a longer max_wait nothing is aged: priority rules
    expect(order(mrs, 2 * HOUR)).toEqual(['p0-new', 'p1-new', 'p2-older', 'p3-old']);
  });

  it('puts a retried merge request behind those of its own priority, but ahead of lower priorities', () => {
    const mrs = [mr('retried', 1, 30, 1), mr('fresh', 1, 1), mr('low', 2, 50)];
    expect(order(mrs)).toEqual(['fresh', 'retried', 'low']);
  });

  it('ages a retried merge request from when it was retried (its queued_at), like any other', () => {
    expect(order([mr('retried-long-ago', 3, 120, 2), mr('p0', 0, 1)])).toEqual(['retried-long-ago', 'p0']);
  });
});
