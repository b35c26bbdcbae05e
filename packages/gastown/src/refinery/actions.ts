// What people (and an AI refinery) do to the queue besides running it: find a merge request by id, retry one,
// reject one, and ask how the refinery is doing.
import { existsSync, readFileSync } from 'node:fs';
import { BeadStore, BeadsError, prefixOf } from '@gastown/beads';
import type { MqMeta, Town } from '../model.js';
import { agentFor, sessionState, townSessions, type SessionState } from '../agents/index.js';
import { rigPaths, rigSettings } from '../town/index.js';
import { rejectMergeRequest, refineryLockPath } from './engine.js';
import { changeMq, mergeRequest, rigMergeRequests, type MergeRequest } from './queue.js';

/** The rig an id's prefix names, and the merge request there. */
export function findMergeRequest(town: Town, id: string): { rig: string; mr: MergeRequest } {
  const prefix = prefixOf(id.trim());
  const rig = town.rigs.find((r) => r.prefix === prefix);
  if (!rig) throw new BeadsError('not_found', `no merge request ${id}: no rig of this town has the prefix ${JSON.stringify(prefix)} (gt rig list)`, { id });
  const store = BeadStore.open(rigPaths(town, rig.name).store);
  return { rig: rig.name, mr: mergeRequest(store.get(id.trim())) };
}

/** Sends a merge request back to the queue, behind those of its priority; refused while the refinery has it. */
export function retryMergeRequest(town: Town, id: string, actor: string): MergeRequest {
  const { rig, mr } = findMergeRequest(town, id);
  const store = BeadStore.open(rigPaths(town, rig).store);
  return changeMq(store, actor, mr.bead.id, (m) => {
    const s = m.mq.state;
    if (s === 'testing' || s === 'landing') throw new BeadsError('conflict', `${m.bead.id} is being ${s === 'testing' ? 'tested' : 'landed'} by the refinery; wait for it`, { id: m.bead.id, state: s });
    if (s === 'merged' || s === 'superseded') throw new BeadsError('conflict', `${m.bead.id} is ${s}${m.mq.superseded_by ? ` by ${m.mq.superseded_by}` : ''}: nothing to retry`, { id: m.bead.id, state: s });
    const mq: MqMeta = { ...m.mq, state: 'queued', queued_at: store.nowIso(), retries: m.mq.retries + 1, reason: `retried by ${actor}` };
    return { mq, status: 'open', assignee: null };
  });
}

/** Rejects a merge request with a reason: its bead is released (open, unassigned), the polecat, mayor and overseer told. */
export function rejectMr(town: Town, id: string, reason: string, actor: string): MergeRequest {
  if (!reason.trim()) throw new BeadsError('invalid_input', 'a rejection needs a reason (--reason)');
  const { rig, mr } = findMergeRequest(town, id);
  const s = mr.mq.state;
  if (s === 'testing' || s === 'landing') throw new BeadsError('conflict', `${mr.bead.id} is being ${s === 'testing' ? 'tested' : 'landed'} by the refinery; wait for it`, { id: mr.bead.id, state: s });
  if (mr.bead.status === 'closed') throw new BeadsError('conflict', `${mr.bead.id} is already ${s}`, { id: mr.bead.id, state: s });
  return rejectMergeRequest(town, rig, mr.bead.id, reason.trim(), actor);
}

export interface RefineryStatus {
  rig: string;
  /** Whether a refinery is on duty: its session is running, or an engine holds the rig's refinery lock. */
  running: boolean;
  /** The refinery agent's tmux session. */
  session: SessionState;
  /** Whether an engine is processing the queue right now (it holds the lock only during its rounds). */
  engine: boolean;
  /** The engine's process, while it runs. */
  pid?: number;
  queued: number;
  testing: number;
  rework: number;
  pr: number;
  merged: number;
  rejected: number;
  last_merged?: { id: string; commit?: string; at?: string };
  settings: { merge: string; batch: number; gates: string[] };
}

function lockHolder(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').split(' ')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

export function refineryStatus(town: Town, rig: string): RefineryStatus {
  if (!town.rigs.some((r) => r.name === rig)) throw new BeadsError('not_found', `no rig ${rig} in this town (gt rig list)`, { rig });
  const store = BeadStore.open(rigPaths(town, rig).store);
  const all = rigMergeRequests(store, { all: true });
  const count = (...states: string[]): number => all.filter((m) => states.includes(m.mq.state)).length;
  const merged = all.filter((m) => m.mq.state === 'merged').sort((a, b) => (a.bead.closed_at ?? '') < (b.bead.closed_at ?? '') ? -1 : 1).at(-1);
  const pid = lockHolder(refineryLockPath(town, rig));
  const settings = rigSettings(town, rig);
  const session = sessionState(townSessions(town).get(agentFor(town, 'refinery', rig).session));
  return {
    rig,
    running: session === 'running' || pid !== undefined,
    session,
    engine: pid !== undefined,
    ...(pid !== undefined ? { pid } : {}),
    queued: count('queued'),
    testing: count('testing', 'landing'),
    rework: count('rework'),
    pr: count('pr'),
    merged: count('merged'),
    rejected: count('rejected'),
    ...(merged ? { last_merged: { id: merged.bead.id, commit: merged.mq.merged_commit, at: merged.bead.closed_at } } : {}),
    settings: { merge: settings.merge, batch: settings.batch, gates: settings.gates.map((g) => g.name) },
  };
}
