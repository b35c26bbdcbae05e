// The reads that may block (tmux's spawnSync, git, a store's lock) in a worker thread, so Ink's thread only
// draws: the worker keeps a TownReader (and so its cheap refresh) and answers the live source's requests.
import { parentPort, workerData } from 'node:worker_threads';
import { readTown } from '@gastown/gastown';
import { detailLines } from './detail.js';
import { townFeed } from './feed-types.js';
import { TownReader } from './snapshot.js';
import type { Snapshot } from './types.js';

export type WorkerRequest = { n: number; type: 'snapshot' } | { n: number; type: 'detail'; pane: string; id: string };
export type WorkerReply = { n: number; ok: true; value: unknown } | { n: number; ok: false; error: string };

const { root, rig } = workerData as { root: string; rig?: string };
const town = readTown(root);
const reader = new TownReader(town, { ...(rig !== undefined ? { rig } : {}), feed: townFeed(town, rig) });
let last: Snapshot | null = null;
let sentWork: unknown = null;

parentPort!.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    if (req.type === 'snapshot') {
      last = reader.snapshot();
      // the work list is the big part (100,000 beads): sent only when it changed, else the last one is kept
      const same = last.work === sentWork;
      sentWork = last.work;
      reply = { n: req.n, ok: true, value: same ? { ...last, work: null } : last };
    }
    else reply = { n: req.n, ok: true, value: detailLines(town, last ?? (last = reader.snapshot()), req.pane, req.id) };
  } catch (err) {
    reply = { n: req.n, ok: false, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
