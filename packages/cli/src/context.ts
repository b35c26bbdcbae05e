// What every bd command handler receives: the parsed global options, a lazily opened store, the actor, and
// the one output contract (text for people; with --json exactly one JSON document on stdout).
import { BeadStore, BeadsError, findStoreDir, isWispId, resolveActor, wispStoreDir } from '@gastown/beads';

export interface GlobalArgs {
  json?: boolean;
  dir?: string;
  actor?: string;
}

export class Context {
  private storeCache?: BeadStore;
  private actorCache?: string;
  constructor(readonly args: GlobalArgs) {}

  get json(): boolean {
    return Boolean(this.args.json);
  }

  get store(): BeadStore {
    this.storeCache ??= BeadStore.open(findStoreDir({ dir: this.args.dir }));
    return this.storeCache;
  }

  /** The wisp store beside the store (ephemeral molecules), created when `create` is set; else null if absent. */
  wisps(create = false): BeadStore | null {
    const dir = wispStoreDir(this.store.dir, this.store.prefix, create);
    return dir ? BeadStore.open(dir) : null;
  }

  /** The store that holds a bead: the wisp store for wisp ids (`<prefix>-wisp-...`), else the store. */
  storeFor(id: string | undefined): BeadStore {
    if (id && isWispId(this.store.prefix, id.trim())) {
      const wisps = this.wisps();
      if (!wisps) throw new BeadsError('not_found', `no bead ${id} (there are no wisps)`, { id });
      return wisps;
    }
    return this.store;
  }

  get actor(): string {
    this.actorCache ??= this.args.actor?.trim() || resolveActor();
    return this.actorCache;
  }

  /** Prints `data` as JSON with --json, else the text `render` makes of it. */
  out<T>(data: T, render: (data: T) => string): void {
    if (this.json) process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    else {
      const text = render(data);
      if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    }
  }
}

export function usageError(message: string): BeadsError {
  return new BeadsError('usage', message);
}

let programName = 'bd';

/** The command name error lines start with (`bd: ...`, `gt: ...`). */
export function setProgramName(name: string): void {
  programName = name;
}

/** Reports an error the one way: JSON on stdout with --json, one line on stderr otherwise. Returns the exit code. */
export function reportError(err: unknown, json: boolean): number {
  const known = err instanceof BeadsError;
  const e = known ? err : new BeadsError('internal', `internal error: ${(err as Error)?.stack ?? String(err)}\nplease report this with the command you ran`);
  if (json) process.stdout.write(JSON.stringify(e.toJSON(), null, 2) + '\n');
  else process.stderr.write(`${programName}: ${e.message}\n`);
  return e.exitCode;
}
