// Starts the worker thread of worker.ts and asks it for snapshots and detail views. Its file is
// dashboard-worker.mjs beside the bundle's chunks (packages/cli/scripts/bundle.mjs), or data/worker.js beside
// the compiled package; where neither is (tests running the sources), there is no worker and the caller reads
// on its own thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BeadsError, type ErrorCode } from '@gastown/beads';
import type { Snapshot } from './types.js';
import type { WorkerReply, WorkerRequest } from './worker.js';
import { decodeWork, type WorkDelta } from './work-delta.js';

type Ask = { type: 'snapshot' } | { type: 'detail'; pane: string; id: string };

export class ReadWorker {
  private n = 0;
  private work: Snapshot['work'] = [];
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (r: WorkerReply) => {
      const w = this.waiting.get(r.n);
      this.waiting.delete(r.n);
      if (r.ok) w?.resolve(r.value);
      else w?.reject(r.code ? new BeadsError(r.code as ErrorCode, r.error, r.details ?? {}) : new Error(r.error));
    });
    worker.on('error', (err) => {
      this.alive = false;
      this.failAll(err);
    });
    worker.on('exit', (code) => {
      this.alive = false;
      this.failAll(new Error(`the dashboard's reader stopped (exit ${code})`));
    });
  }

  /** False once the thread has ended: an ask then fails at once (the live source starts another). */
  alive = true;

  /** A worker for the town, or null when its file is not there. */
  static start(root: string, rig?: string): ReadWorker | null {
    const file = [new URL('./dashboard-worker.mjs', import.meta.url), new URL('./worker.js', import.meta.url)].map((u) => fileURLToPath(u)).find((f) => existsSync(f));
    if (!file) return null;
    // A read after a change at 100,000 beads parses 20,000 beads at once, all alive until their rows are made: in
    // V8's default young generation they are copied into the old one and collected there. Measured in this
    // worker, the garbage collector's time per read: 75-145 ms by default, 35-45 ms with a young generation of
    // 384 MB (grown only as it is used: the heap about 60 MB more).
    return new ReadWorker(new Worker(file, { workerData: { root, ...(rig !== undefined ? { rig } : {}) }, resourceLimits: { maxYoungGenerationSizeMb: 384 } }));
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private ask<T>(what: Ask): Promise<T> {
    const n = ++this.n;
    if (!this.alive) return Promise.reject(new Error("the dashboard's reader has stopped"));
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(n, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ n, ...what } as WorkerRequest);
    });
  }

  async snapshot(): Promise<Snapshot> {
    const s = await this.ask<Omit<Snapshot, 'work'> & { work: WorkDelta | null }>({ type: 'snapshot' });
    if (s.work) this.work = decodeWork(s.work, this.work); // null: the same as the last one
    return { ...s, work: this.work };
  }

  detail(pane: string, id: string): Promise<string[]> {
    return this.ask({ type: 'detail', pane, id });
  }

  stop(): void {
    void this.worker.terminate();
  }
}
