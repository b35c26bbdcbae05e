// The live source: snapshots of a real town, taken again when a store's log changes (watched, debounced) and
// on an interval for what the logs do not show (tmux sessions, idle times, the daemon). Takes never overlap:
// a change seen during one is answered by one more after it. The reads that may block (tmux, git, a lock
// wait) run in a worker thread (read-worker.ts) when its file is there; actions run as `gt` child processes,
// so a sling's setup hook or a nudge's wait never freezes the screen.
import { execFile } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Tools } from '@gastown/gastown';
import { detailLines } from './data/detail.js';
import { noFeed, type FeedEvent, type FeedSource } from './data/feed-types.js';
import { ReadWorker } from './data/read-worker.js';
import type { Snapshot } from './data/types.js';
import type { TownReader } from './data/snapshot.js';
import type { PaneId } from './rows.js';
import type { DashboardSource } from './source.js';
import type { Effect } from './state.js';

export interface LiveOptions {
  /** How to run gt for actions (the CLI's own). */
  tools?: Pick<Tools, 'node' | 'gt'>;
  /** The tmux poll (default 2 s). */
  pollMs?: number;
  /** Log changes closer together than this are one refresh (default 150 ms). */
  debounceMs?: number;
  /** Read in a worker thread (default: when its file is there). */
  worker?: boolean;
  /** With a worker: a feed of the caller's, polled on this thread instead of the worker's own (the town's). */
  feed?: FeedSource;
  rig?: string;
}

export class LiveSource implements DashboardSource {
  private last: Snapshot | null = null;
  private kick: () => void = () => {};
  private worker: ReadWorker | null = null;
  private activity: FeedEvent[] = [];

  constructor(private readonly reader: TownReader, private readonly options: LiveOptions = {}) {}

  /** The first snapshot (starting the worker): the screen is drawn from it. */
  first(): Promise<Snapshot> {
    this.startWorker();
    return this.read().then((s) => (this.last = s));
  }

  private startWorker(): void {
    if (this.options.worker !== false) this.worker ??= ReadWorker.start(this.reader.town.root, this.options.rig);
  }

  /** One snapshot: from the worker (with the feed's events added here), else read on this thread. */
  private async read(): Promise<Snapshot> {
    if (!this.worker) return this.reader.snapshot();
    // a reader thread that ended (it should not: every failure is an answer) is started again
    if (!this.worker.alive) {
      this.worker = null;
      this.startWorker();
      if (!this.worker) return this.reader.snapshot();
    }
    const snap = await (this.worker as ReadWorker).snapshot();
    if (!this.options.feed) return snap; // the worker's reader follows the town's feed
    const fresh = (this.options.feed ?? noFeed).poll().filter((e) => this.options.rig === undefined || e.rig === undefined || e.rig === this.options.rig);
    if (fresh.length) this.activity = [...this.activity, ...fresh].slice(-500);
    return { ...snap, activity: this.activity };
  }

  watch(onSnapshot: (s: Snapshot) => void, onError: (err: Error) => void): () => void {
    let taking = false;
    let again = false;
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const take = (): void => {
      if (stopped) return;
      if (taking) {
        again = true;
        return;
      }
      taking = true;
      // after this turn of the event loop: a key press already queued is handled first
      setImmediate(() => {
        this.read()
          .then((snap) => {
            if (!stopped) onSnapshot((this.last = snap));
          }, onError)
          .finally(() => {
            taking = false;
            if (again) {
              again = false;
              take();
            }
          });
      });
    };
    const soon = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(take, this.options.debounceMs ?? 150);
    };
    this.kick = take;
    this.startWorker();
    const watchers: FSWatcher[] = [];
    for (const dir of new Set(this.reader.logFiles().map((f) => dirname(f)))) {
      try {
        watchers.push(watch(dir, { persistent: false }, soon));
      } catch {
        /* a directory not there yet: the poll still sees its changes */
      }
    }
    const poll = setInterval(take, this.options.pollMs ?? 2000);
    take();
    return () => {
      stopped = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      this.worker?.stop();
      this.worker = null;
    };
  }

  refresh(): void {
    this.kick();
  }

  async detail(pane: PaneId, id: string): Promise<string[]> {
    if (this.worker) return this.worker.detail(pane, id);
    const snap = this.last ?? this.reader.snapshot();
    return detailLines(this.reader.town, snap, pane, id);
  }

  /**
   * Runs `gt ARGS --json -- TEXT` in the town as the overseer; resolves to its result, rejects with its error's
   * message, or when it printed no JSON. `text` follows `--`, so a text that starts with a dash is text.
   */
  private gt(args: string[], text: string[] = []): Promise<Record<string, unknown>> {
    const tools = this.options.tools;
    if (!tools) return Promise.reject(new Error('actions need the gt command (run gt dashboard)'));
    const { GT_AGENT: _agent, BEADS_DIR: _dir, ...env } = process.env;
    return new Promise((resolve, reject) => {
      execFile(tools.node, [tools.gt, ...args, '--json', ...(text.length ? ['--', ...text] : [])], { cwd: this.reader.town.root, env: { ...env, GT_TOWN: this.reader.town.root }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        let doc: Record<string, unknown> | null = null;
        try {
          doc = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          /* not JSON: an internal failure, told by stderr */
        }
        const error = doc?.error as { message?: string } | undefined;
        if (err || error) reject(new Error(error?.message ?? (stderr.trim() || (err as Error).message)));
        else if (!doc) reject(new Error(`gt ${args[0]} answered no JSON: ${(stderr.trim() || stdout.trim()).split('\n')[0] || 'nothing'}`));
        else resolve(doc);
      });
    });
  }

  async act(effect: Exclude<Effect, { kind: 'attach' }>): Promise<string> {
    switch (effect.kind) {
      case 'nudge':
        await this.gt(['nudge', effect.id], [effect.text]);
        return `nudged ${effect.id}`;
      case 'sling': {
        const r = await this.gt(['sling', effect.id, effect.rig]);
        return `slung ${effect.id} to ${String(r.address ?? 'a polecat')}`;
      }
      case 'retry':
        await this.gt(['mq', 'retry', effect.id]);
        return `${effect.id} is queued again`;
      case 'read':
        await this.gt(['mail', 'read', effect.id]);
        return `${effect.id} marked read (m again acknowledges it)`;
      case 'ack':
        await this.gt(['mail', 'ack', effect.id]);
        return `acknowledged ${effect.id}`;
    }
  }
}
