// What every bd command handler receives: the parsed global options, a lazily opened store, the actor, and
// the one output contract (text for people; with --json exactly one JSON document on stdout).
import { BeadStore, BeadsError, checkActor, ioFailure, findStoreDir, isWispId, prefixOf, resolveActor, wispStoreDir, type ForeignLookup } from '@gastown/beads';
import { textBlock } from './format.js';
import { findTown, requireRig, rigPaths, rigStoreAt, TownRouter, type Town } from '@gastown/gastown';

export interface GlobalArgs {
  json?: boolean;
  dir?: string;
  actor?: string;
  rig?: string;
}

export class Context {
  private storeCache?: BeadStore;
  private actorCache?: string;
  constructor(readonly args: GlobalArgs) {}

  get json(): boolean {
    return Boolean(this.args.json);
  }

  /** The store's directory if it was opened (an error that names no file happened there). */
  get openedStoreDir(): string | undefined {
    return this.storeCache?.dir;
  }

  get store(): BeadStore {
    this.storeCache ??= BeadStore.open(this.args.rig ? this.rigStoreDir(this.args.rig) : this.storeDirHere());
    return this.storeCache;
  }

  /**
   * The nearest store upward; but inside a rig of a town (say in its polecats/ folder), the rig's store rather
   * than the town's, which is the next one up.
   */
  private storeDirHere(): string {
    const town = this.args.dir || process.env.BEADS_DIR ? null : this.town();
    if (town) {
      const rig = rigStoreAt(town, process.cwd());
      if (rig) return rig;
    }
    return findStoreDir({ dir: this.args.dir });
  }

  private townCache?: Town | null;
  private router?: TownRouter;

  /**
   * The town around the store named by BEADS_DIR (as agents' sessions set it), else around the current
   * directory; none when a store was named with --dir.
   */
  private town(): Town | null {
    if (this.townCache === undefined) this.townCache = this.args.dir ? null : findTown(process.env.BEADS_DIR || process.cwd());
    return this.townCache;
  }

  private rigStoreDir(name: string): string {
    const town = this.town();
    if (!town) throw new BeadsError('no_store', `--rig ${name}: not inside a town (gt install creates one)`);
    return rigPaths(town, requireRig(town, name)).store;
  }

  /** Inside a town, the store an id's prefix names (a rig's, or the town's: hq), unless it is this one. */
  private storeForPrefix(prefix: string): BeadStore | null {
    const town = this.town();
    if (!town || !prefix || prefix === this.store.prefix) return null;
    this.router ??= new TownRouter(town);
    return this.router.storeForPrefix(prefix);
  }

  /** The wisp store beside the store (ephemeral molecules), created when `create` is set; else null if absent. */
  wisps(create = false): BeadStore | null {
    const dir = wispStoreDir(this.store.dir, this.store.prefix, create);
    return dir ? BeadStore.open(dir) : null;
  }

  /** Inside a town, how to look up a bead of another rig (or the town store) by its full id. */
  foreign(): ForeignLookup | undefined {
    if (!this.town()) return undefined;
    return (id) => {
      const store = this.storeForPrefix(prefixOf(id));
      const state = store?.state(id);
      return state ? { status: state.bead.status } : null;
    };
  }

  /**
   * The store that holds a bead: the wisp store for wisp ids (`<prefix>-wisp-...`); inside a town, the rig
   * (or town store) its prefix names; else the store.
   */
  storeFor(id: string | undefined): BeadStore {
    if (!id) return this.store;
    const wanted = id.trim();
    if (isWispId(this.store.prefix, wanted)) {
      const wisps = this.wisps();
      if (!wisps) throw new BeadsError('not_found', `no bead ${id} (there are no wisps)`, { id });
      return wisps;
    }
    return (wanted.includes('-') && this.storeForPrefix(prefixOf(wanted))) || this.store;
  }

  get actor(): string {
    if (this.args.actor !== undefined && !String(this.args.actor).trim()) throw new BeadsError('invalid_input', '--actor must not be empty');
    this.actorCache ??= this.args.actor !== undefined ? checkActor(String(this.args.actor).trim(), '--actor') : resolveActor();
    return this.actorCache;
  }

  /** Prints `data` as JSON with --json, else the text `render` makes of it. */
  out<T>(data: T, render: (data: T) => string): void {
    if (this.json) process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    else {
      // The last guard for the terminal: whatever a renderer let through, no control character but newline and
      // tab reaches it raw (renderers escape newlines too in one-line fields).
      const text = textBlock(render(data));
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
export function reportError(err: unknown, json: boolean, storeDir?: string): number {
  const e = err instanceof BeadsError ? err : ioFailure(err, process.cwd(), storeDir) ?? new BeadsError('internal', `internal error: ${(err as Error)?.stack ?? String(err)}\nplease report this with the command you ran`);
  if (json) process.stdout.write(JSON.stringify(e.toJSON(), null, 2) + '\n');
  else process.stderr.write(`${programName}: ${textBlock(e.message)}\n`);
  return e.exitCode;
}
