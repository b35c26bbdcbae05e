// The reads that may block (tmux's spawnSync, git, a store's lock) in a worker thread, so Ink's thread only
// draws: the worker keeps a TownReader (and so its cheap refresh) and answers the live source's requests.
// The work list (20,000 items at 100,000 beads) is sent only when it changed, and then as a delta against the
// one sent before (work-delta.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { readTown } from '@gastown/gastown';
import { detailLines } from './detail.js';
import { townFeed } from './feed-types.js';
import { TownReader } from './snapshot.js';
import type { Snapshot, WorkItem } from './types.js';
import { encodeWork } from './work-delta.js';

export type WorkerRequest = { n: number; type: 'snapshot' } | { n: number; type: 'detail'; pane: string; id: string };
export type WorkerReply = { n: number; ok: true; value: unknown } | { n: number; ok: false; error: string };

const { root, rig } = workerData as { root: string; rig?: string };
const town = readTown(root);
const reader = new TownReader(town, { ...(rig !== undefined ? { rig } : {}), feed: townFeed(town, rig) });
let last: Snapshot | null = null;
let sentWork: WorkItem[] | null = null;

parentPort!.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    if (req.type === 'snapshot') {
      last = reader.snapshot();
      // the work list is the big part: null when it is the one sent before, else a delta against that one
      const work = last.work === sentWork ? null : encodeWork(last.work, sentWork);
      sentWork = last.work;
      reply = { n: req.n, ok: true, value: { ...last, work } };
    }
    else reply = { n: req.n, ok: true, value: detailLines(town, last ?? (last = reader.snapshot()), req.pane, req.id) };
  } catch (err) {
    reply = { n: req.n, ok: false, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
