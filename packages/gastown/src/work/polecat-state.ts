// What a polecat is at, as the store says: the latest merge request it filed, and the state that follows from
// it and its hook. gt polecat list shows it; gc and the leftover sweep decide by it.
import { listBeads, type Bead, type BeadStore } from '@gastown/beads';
import type { MqMeta } from '../model.js';
import { mrMeta } from './done.js';

/**
 * working: something on its hook and no open merge request; in_queue: its merge request is open (queue_state
 * says where); rework: its merge request was sent back and the bead is still on its hook; merged: its merge
 * request merged and nothing is on its hook; rejected: its merge request was rejected (the bead released);
 * idle: nothing on its hook and no merge request to speak of.
 */
export type PolecatState = 'working' | 'in_queue' | 'rework' | 'merged' | 'rejected' | 'idle';

const mqOf = (bead: Bead): MqMeta | undefined => (bead.metadata as { mq?: MqMeta } | undefined)?.mq;

/** The latest merge request each worker filed, by address. */
export function latestMergeRequests(store: BeadStore): Map<string, Bead> {
  const latest = new Map<string, Bead>();
  for (const mr of listBeads(store, { issue_type: ['merge-request'], all: true, limit: 0 })) {
    const worker = mrMeta(mr)?.worker;
    if (!worker) continue;
    const seen = latest.get(worker);
    if (!seen || seen.created_at < mr.created_at || (seen.created_at === mr.created_at && seen.id < mr.id)) latest.set(worker, mr);
  }
  return latest;
}

/** The state that follows from what is on its hook and its latest merge request. */
export function stateOf(hooked: Bead | null, mr: Bead | undefined): PolecatState {
  // gt done files a merge request with no mq metadata: such a one is queued
  const queue = mr ? (mqOf(mr)?.state ?? 'queued') : undefined;
  if (mr && mr.status !== 'closed') return 'in_queue';
  if (hooked) return queue === 'rework' && mrMeta(mr!)?.source_bead === hooked.id ? 'rework' : 'working';
  if (queue === 'merged') return 'merged';
  if (queue === 'rejected') return 'rejected';
  return 'idle';
}
