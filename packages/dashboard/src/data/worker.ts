// The reads that may block (tmux's spawnSync, git, a store's lock) in a worker thread, so Ink's thread only
// draws: the worker keeps a TownReader (and so its cheap refresh) and answers the live source's requests.
// The work list (20,000 items at 100,000 beads) is sent only when it changed, and then as a delta against the
// one sent before (work-delta.ts).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { readTown, type Town } from '@gastown/gastown';
import { detailLines } from './detail.js';
import { townFeed } from './feed-types.js';
import { TownReader } from './snapshot.js';
import type { Snapshot, WorkItem } from './types.js';
import { encodeWork } from './work-delta.js';

export type WorkerRequest = { n: number; type: 'snapshot' } | { n: number; type: 'detail'; pane: string; id: string };
/** A failure keeps its code (a BeadsError's: corrupt_log, no_store, ...), so the screen exits as --once would. */
export type WorkerReply = { n: number; ok: true; value: unknown } | { n: number; ok: false; error: string; code?: string; details?: Record<string, unknown> };

const { root, rig } = workerData as { root: string; rig?: string };

/** The town's registry files as last seen (size and mtime): a rig added or removed changes them. */
const registryMark = (): string =>
  ['town.json', 'rigs.json']
    .map((f) => {
      try {
        const st = statSync(join(root, f));
        return `${st.size}:${st.mtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('|');

// Read on the first request, not at start: a town that cannot be read now (rigs.json caught half-written) is
// an answer to that request, and the next one reads it again, rather than a worker dead for good. A rig added
// or removed while the screen runs is a town read anew (and its reader: the next snapshot is a full one).
let town: Town | null = null;
let reader: TownReader | null = null;
let seen = '';
let last: Snapshot | null = null;
let sentWork: WorkItem[] | null = null;

function current(): { town: Town; reader: TownReader } {
  const mark = registryMark();
  if (!reader || !town || mark !== seen) {
    town = readTown(root);
    // skipLocked: a store another process has locked is its last rows and a Problem this time, not a 30 s wait that
    // holds up every request behind it (the detail views too, and at start the whole screen)
    reader = new TownReader(town, { ...(rig !== undefined ? { rig } : {}), feed: townFeed(town, rig), skipLocked: true });
    seen = mark;
    last = null;
  }
  return { town, reader };
}

parentPort!.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const now = current();
    if (req.type === 'snapshot') {
      last = now.reader.snapshot();
      // the work list is the big part: null when it is the one sent before, else a delta against that one
      const work = last.work === sentWork ? null : encodeWork(last.work, sentWork);
      sentWork = last.work;
      reply = { n: req.n, ok: true, value: { ...last, work } };
    } else reply = { n: req.n, ok: true, value: detailLines(now.town, last ?? (last = now.reader.snapshot()), req.pane, req.id) };
  } catch (err) {
    const e = err as Error & { code?: unknown; details?: Record<string, unknown> };
    reply = { n: req.n, ok: false, error: e.message, ...(typeof e.code === 'string' && e.name === 'BeadsError' ? { code: e.code, details: e.details ?? {} } : {}) };
  }
  parentPort!.postMessage(reply);
});
