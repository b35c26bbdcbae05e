// The merge queue: a rig's merge-request beads, their queue state (metadata.mq) and the order the refinery
// takes them in. Priority first, then age; a merge request that has waited longer than max_wait goes ahead
// of everything; a retried one goes behind those of its own priority; one whose source bead is blocked waits.
import { BeadStore, BeadsError, blockedBeads, listBeads, type Bead } from '@gastown/beads';
import type { MergeRequestMeta, MqMeta, MqState, Town } from '../model.js';
import { rigPaths } from '../town/index.js';
import { mqOf, mrMeta } from '../work/index.js';

export interface MergeRequest {
  bead: Bead;
  meta: MergeRequestMeta;
  mq: MqMeta;
}

export function mergeRequest(bead: Bead): MergeRequest {
  const meta = mrMeta(bead);
  if (bead.issue_type !== 'merge-request' || !meta) throw new BeadsError('invalid_input', `${bead.id} is not a merge request (it is a ${bead.issue_type})`, { id: bead.id });
  return { bead, meta, mq: mqOf(bead) };
}

/** The rig's merge requests (open ones; with `all`, closed ones too), unordered. */
export function rigMergeRequests(store: BeadStore, options: { all?: boolean } = {}): MergeRequest[] {
  return listBeads(store, { issue_type: ['merge-request'], limit: 0, ...(options.all ? { all: true } : {}) })
    .filter((b) => mrMeta(b))
    .map(mergeRequest);
}

export interface QueueRow {
  position: number | null;
  id: string;
  title: string;
  state: MqState;
  priority: number;
  /** Milliseconds since it was queued. */
  age_ms: number;
  retries: number;
  reworks: number;
  branch: string;
  source_bead: string;
  worker: string;
  /** Why it is not being processed now (waiting on its source bead, with its polecat for rework, ...). */
  waiting?: string;
  /** Queued longer than max_wait: it goes first. */
  aged: boolean;
  last_gate?: { gate: string; passed: boolean; exit_code: number | null; at: string };
}

/** The processing order of queued merge requests: aged first (oldest first), then priority, retries, age, id. */
export function queueOrder(mrs: MergeRequest[], now: number, maxWaitMs: number): MergeRequest[] {
  const key = (m: MergeRequest): [number, number, number, number, string] => {
    const queued = Date.parse(m.mq.queued_at);
    const aged = now - queued > maxWaitMs;
    return aged ? [0, 0, 0, queued, m.bead.id] : [1, m.bead.priority, m.mq.retries > 0 ? 1 : 0, queued, m.bead.id];
  };
  return [...mrs].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
}

/** Source beads that wait on open blockers (Beads' blocked rule), by id. */
export function blockedSources(store: BeadStore): Set<string> {
  return new Set(blockedBeads(store, { limit: 0 }).map((b) => b.id));
}

/** The queue as `gt mq list` shows it: processing order first (queued, taken), then those waiting on their polecat. */
export function queueRows(town: Town, rig: string, options: { now?: number; maxWaitMs: number }): QueueRow[] {
  const store = BeadStore.open(rigPaths(town, rig).store);
  const now = options.now ?? Date.now();
  const all = rigMergeRequests(store);
  const blocked = blockedSources(store);
  const active = all.filter((m) => m.mq.state === 'testing' || m.mq.state === 'landing');
  const queued = queueOrder(all.filter((m) => m.mq.state === 'queued'), now, options.maxWaitMs);
  const ready = queued.filter((m) => !blocked.has(m.meta.source_bead));
  const waiting = queued.filter((m) => blocked.has(m.meta.source_bead));
  const others = all.filter((m) => m.mq.state === 'pr' || m.mq.state === 'rework');
  let position = 0;
  const row = (m: MergeRequest, pos: number | null, why?: string): QueueRow => {
    const last = m.mq.attempts.at(-1)?.runs.at(-1);
    return {
      position: pos,
      id: m.bead.id,
      title: m.bead.title,
      state: m.mq.state,
      priority: m.bead.priority,
      age_ms: Math.max(0, now - Date.parse(m.mq.queued_at)),
      retries: m.mq.retries,
      reworks: m.mq.reworks,
      branch: m.meta.branch,
      source_bead: m.meta.source_bead,
      worker: m.meta.worker,
      aged: m.mq.state === 'queued' && now - Date.parse(m.mq.queued_at) > options.maxWaitMs,
      ...(why ? { waiting: why } : {}),
      ...(last ? { last_gate: { gate: last.gate, passed: last.passed, exit_code: last.exit_code, at: last.at } } : {}),
    };
  };
  return [
    ...active.map((m) => row(m, 0, undefined)),
    ...ready.map((m) => row(m, ++position)),
    ...waiting.map((m) => row(m, null, `its source bead ${m.meta.source_bead} is blocked`)),
    ...others.map((m) => row(m, null, m.mq.state === 'pr' ? `pull request ${m.mq.pr_url ?? ''} not merged yet` : `rework by ${m.meta.worker}: ${m.mq.reason ?? ''}`)),
  ];
}

export interface MqChange {
  mq: MqMeta;
  /** The bead's new status (open while queued, in_progress while taken, blocked in rework). */
  status?: 'open' | 'in_progress' | 'blocked';
  assignee?: string | null;
  /** Close the bead with this reason. */
  close?: string;
}

/**
 * Changes a merge request's queue state as one transaction, decided under the store's lock against its
 * current state (a compare-and-set: the refinery taking it and a person rejecting it cannot both win):
 * `decide` returns the change, or null for none. Returns the merge request as it is after.
 */
export function changeMq(store: BeadStore, actor: string, id: string, decide: (current: MergeRequest) => MqChange | null): MergeRequest {
  const changed = store.transaction(actor, (tx) => {
    const current = mergeRequest(tx.get(id));
    const change = decide(current);
    if (!change) return current.bead.id;
    const bead = current.bead;
    if (bead.status === 'closed' && !change.close) tx.reopen(bead.id, `back to the queue (${change.mq.state})`);
    const fields: Record<string, unknown> = {};
    if (change.status && change.status !== bead.status) fields.status = change.status;
    if (change.assignee !== undefined && (change.assignee ?? undefined) !== bead.assignee) fields.assignee = change.assignee ?? '';
    tx.set(bead.id, { ...fields, metadata: { ...(bead.metadata as Record<string, unknown>), mq: change.mq } });
    if (change.close && bead.status !== 'closed') tx.close(bead.id, change.close);
    return bead.id;
  });
  return mergeRequest(store.get(changed));
}
