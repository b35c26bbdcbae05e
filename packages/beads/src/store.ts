// The store: one .beads/ directory, its log, its lock and its caches. Reads fold the log through the caches
// (catching them up first when the log grew); writes append validated operations under the lock, each with a
// logical clock past everything already in the log.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BeadsError } from './errors.js';
import { appendLines, fileSize, readOps, readTail, forEachLine, parseOpLine } from './log.js';
import { withLock } from './lock.js';
import { applyOp, compareStamp, foldLogId, foldOperations, type BeadState } from './fold.js';
import { CACHE_FORMAT, CacheReader, applyChanges, readMeta, tailHash, writeGeneration, type CacheMeta } from './cache.js';
import { newOpId } from './ids.js';
import { assertValid } from './validate.js';
import type { Bead, Op } from './types.js';

export const LOG_FILE = 'ops.jsonl';
export const CONFIG_FILE = 'config.json';
const TAIL_BYTES = 256;

export interface StoreConfig {
  prefix: string;
  [extra: string]: unknown;
}

/** An operation before the store stamps it with id, clock, time and actor. */
export type OpDraft = Omit<Op, 'op_id' | 'lc' | 'ts' | 'actor'> & { actor?: string; ts?: string };

export interface OpenOptions {
  /** Used in error messages instead of absolute paths (defaults to relative to cwd). */
  displayBase?: string;
  now?: () => Date;
}

export class BeadStore {
  readonly dir: string;
  readonly logPath: string;
  readonly cacheDir: string;
  readonly lockPath: string;
  readonly config: StoreConfig;
  private reader?: CacheReader;
  private readonly now: () => Date;
  private readonly displayBase: string;

  private constructor(dir: string, config: StoreConfig, options: OpenOptions) {
    this.dir = dir;
    this.logPath = join(dir, LOG_FILE);
    this.cacheDir = join(dir, 'cache');
    this.lockPath = join(dir, 'lock');
    this.config = config;
    this.now = options.now ?? (() => new Date());
    this.displayBase = options.displayBase ?? process.cwd();
  }

  static open(dir: string, options: OpenOptions = {}): BeadStore {
    const configPath = join(dir, CONFIG_FILE);
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BeadsError('no_store', `no bead store at ${dir} (missing ${CONFIG_FILE}); run bd init`);
      throw new BeadsError('corrupt_log', `${configPath}: ${(err as Error).message}`);
    }
    assertValid('validateConfig', config, CONFIG_FILE);
    return new BeadStore(dir, config as StoreConfig, options);
  }

  get prefix(): string {
    return this.config.prefix;
  }

  get displayLogPath(): string {
    return relative(this.displayBase, this.logPath) || this.logPath;
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  // ---- freshness -------------------------------------------------------------------------------------------

  /** The cache, caught up with the log. Throws corrupt_log when the log has corrupt lines. */
  view(options: { allowCorrupt?: boolean } = {}): CacheReader {
    const reader = this.freshReader();
    if (!options.allowCorrupt) this.refuseCorrupt(reader);
    return reader;
  }

  private refuseCorrupt(reader: CacheReader): void {
    const c = reader.meta.corrupt[0];
    if (c) throw new BeadsError('corrupt_log', `${c.file}:${c.line}: corrupt line in the bead log (${c.message}); run bd doctor`, { file: c.file, line: c.line, corrupt: reader.meta.corrupt.length });
  }

  private isCurrent(meta: CacheMeta | null): meta is CacheMeta {
    if (!meta) return false;
    const size = fileSize(this.logPath);
    if (size < meta.logSize) return false;
    if (size === meta.logSize || this.completeLinesEnd(meta.logSize, size) === meta.logSize) {
      return tailHash(readTail(this.logPath, meta.logSize, TAIL_BYTES)) === meta.tailHash;
    }
    return false;
  }

  /** True when the bytes past `from` hold no complete line (only a torn tail, if anything). */
  private completeLinesEnd(from: number, size: number): number {
    if (size - from > 65536) return -1;
    const tail = readTail(this.logPath, size, size - from);
    return tail.includes(10) ? -1 : from;
  }

  private freshReader(): CacheReader {
    if (this.reader && this.isCurrent(this.reader.meta)) return this.reader;
    const meta = readMeta(this.cacheDir);
    if (this.isCurrent(meta) && existsSync(join(this.cacheDir, `g${meta.gen}`))) {
      this.reader = new CacheReader(this.cacheDir, meta);
      return this.reader;
    }
    return withLock(this.lockPath, () => this.refreshLocked());
  }

  /** Brings the cache up to date with the log. The caller holds the lock. */
  private refreshLocked(): CacheReader {
    const meta = readMeta(this.cacheDir);
    if (this.isCurrent(meta) && existsSync(join(this.cacheDir, `g${meta.gen}`))) {
      this.reader = new CacheReader(this.cacheDir, meta);
      return this.reader;
    }
    const size = fileSize(this.logPath);
    let next: CacheReader | null = null;
    if (meta && existsSync(join(this.cacheDir, `g${meta.gen}`)) && size >= meta.logSize && tailHash(readTail(this.logPath, meta.logSize, TAIL_BYTES)) === meta.tailHash) {
      next = this.catchUp(new CacheReader(this.cacheDir, meta));
    }
    this.reader = next ?? new CacheReader(this.cacheDir, this.rebuild(meta?.gen ?? 0));
    return this.reader;
  }

  /** Rebuilds every cache file from the whole log. */
  rebuild(previousGen = readMeta(this.cacheDir)?.gen ?? 0): CacheMeta {
    mkdirSync(this.cacheDir, { recursive: true });
    const chunk = readOps(this.logPath, 0, 1, this.displayLogPath);
    const states = foldOperations(chunk.ops);
    const aliases: Record<string, string[]> = {};
    const logIds = new Set<string>();
    for (const op of chunk.ops) logIds.add(op.bead);
    for (const state of states.values()) {
      logIds.delete(state.logId);
      if (state.logId !== state.bead.id) (aliases[state.logId] ??= [state.logId]).push(state.bead.id);
    }
    let maxLc = 0;
    for (const op of chunk.ops) if (op.lc > maxLc) maxLc = op.lc;
    return writeGeneration(
      this.cacheDir,
      states,
      {
        format: CACHE_FORMAT,
        logSize: chunk.end,
        logLines: chunk.lines,
        tailHash: tailHash(readTail(this.logPath, chunk.end, TAIL_BYTES)),
        maxLc,
        aliases,
        corrupt: chunk.corrupt,
        orphans: [...logIds].sort(),
      },
      previousGen,
    );
  }

  /** Applies the operations appended since the cache was written; null when a full rebuild is simpler. */
  private catchUp(reader: CacheReader): CacheReader | null {
    const meta = reader.meta;
    const chunk = readOps(this.logPath, meta.logSize, meta.logLines + 1, this.displayLogPath);
    const base = {
      logSize: chunk.end,
      logLines: meta.logLines + chunk.lines,
      tailHash: tailHash(readTail(this.logPath, chunk.end, TAIL_BYTES)),
      corrupt: [...meta.corrupt, ...chunk.corrupt],
      maxLc: chunk.ops.reduce((m, o) => Math.max(m, o.lc), meta.maxLc),
    };
    const changed = new Map<string, BeadState | null>();
    const byLogId = new Map<string, Op[]>();
    for (const op of chunk.ops) {
      const list = byLogId.get(op.bead);
      if (list) list.push(op);
      else byLogId.set(op.bead, [op]);
    }
    if (byLogId.size > 8) reader.manyLookups = true;
    // Many edits of existing beads: read their states from the hot index once rather than shard by shard.
    let existing = 0;
    for (const logId of byLogId.keys()) if (reader.hasId(logId) && ++existing > 16) break;
    if (existing > 16) void reader.hotIndex().headers;
    const refold = new Set<string>();
    const aliases = { ...meta.aliases };
    const current = (id: string): BeadState | undefined => (changed.has(id) ? (changed.get(id) ?? undefined) : reader.state(id));
    for (const [logId, ops] of byLogId) {
      ops.sort((a, b) => compareStamp(a.lc, a.op_id, b.lc, b.op_id));
      const known = reader.hasId(logId) || aliases[logId] !== undefined;
      if ((known && ops.some((o) => o.kind === 'create')) || (!known && ops[0]!.kind !== 'create') || meta.orphans.includes(logId)) {
        refold.add(logId);
        continue;
      }
      const staged = new Map<string, BeadState | undefined>();
      let ok = true;
      for (const op of ops) {
        let id = logId;
        if (aliases[logId] && op.origin) {
          const match = aliases[logId]!.find((a) => current(a)?.origin === op.origin);
          if (match) id = match;
        }
        const before = staged.has(id) ? staged.get(id) : known ? current(id) : undefined;
        if (op.kind === 'create') {
          if (before || id !== logId) {
            ok = false;
            break;
          }
        } else if (!before || compareStamp(op.lc, op.op_id, before.lc, before.op) <= 0) {
          ok = false;
          break;
        }
        // states read from the cache are fresh objects; mutating them is safe
        staged.set(id, applyOp(before, op, id));
      }
      if (!ok) refold.add(logId);
      else for (const [id, state] of staged) changed.set(id, state ?? null);
    }
    let orphans = meta.orphans;
    if (refold.size) {
      if (refold.size > 1000) return null;
      const all: Op[] = [];
      forEachLine(this.logPath, 0, (text) => {
        const q = text.indexOf('"bead":"');
        if (q >= 0) {
          const end = text.indexOf('"', q + 8);
          if (!refold.has(text.slice(q + 8, end))) return;
        }
        const parsed = parseOpLine(text);
        if (typeof parsed !== 'string' && refold.has(parsed.bead)) all.push(parsed);
      });
      const grouped = new Map<string, Op[]>();
      for (const op of all) (grouped.get(op.bead) ?? grouped.set(op.bead, []).get(op.bead)!).push(op);
      const orphanSet = new Set(meta.orphans);
      for (const logId of refold) {
        const before = aliases[logId] ?? [logId];
        const states = foldLogId(logId, grouped.get(logId) ?? [], (id) => id !== logId && !before.includes(id) && reader.hasId(id));
        if (states.length === 0) orphanSet.add(logId);
        else orphanSet.delete(logId);
        const after = states.map((s) => s.bead.id);
        for (const id of before) if (!after.includes(id) && reader.hasId(id)) changed.set(id, null);
        for (const s of states) changed.set(s.bead.id, s);
        if (states.length > 1) aliases[logId] = after;
        else delete aliases[logId];
      }
      orphans = [...orphanSet].sort();
    }
    return applyChanges(reader, changed, { ...base, aliases, orphans });
  }

  // ---- reads -----------------------------------------------------------------------------------------------

  /** Resolves a full id or any unique prefix of one (with or without the store's prefix). */
  resolveId(input: string): string {
    return resolveIdIn(this.view(), this.prefix, input);
  }

  state(id: string): BeadState | undefined {
    return this.view().state(id);
  }

  /** The bead with this id or unique prefix. */
  get(idOrPrefix: string): Bead {
    const id = this.resolveId(idOrPrefix);
    return this.view().state(id)!.bead;
  }

  /** Every bead, deleted ones included, in no particular order. */
  allStates(): Generator<BeadState> {
    return this.view().allStates();
  }

  // ---- writes ----------------------------------------------------------------------------------------------

  /**
   * Appends operations atomically: under the lock, catches up, lets `build` decide what to write against the
   * current state (so checks and writes cannot interleave with another writer), stamps, validates, fsyncs.
   */
  write<T = void>(actor: string, build: (view: CacheReader) => { ops: OpDraft[]; result?: T }): { ops: Op[]; result: T | undefined } {
    return withLock(this.lockPath, () => {
      const reader = this.refreshLocked();
      this.refuseCorrupt(reader);
      const { ops: drafts, result } = build(reader);
      let lc = reader.meta.maxLc;
      const ts = this.nowIso();
      const ops: Op[] = drafts.map((d) => {
        const { bead, kind, actor: draftActor, ts: draftTs, ...rest } = d;
        return { op_id: newOpId(), bead, kind, actor: draftActor ?? actor, ts: draftTs ?? ts, lc: ++lc, ...rest } as Op;
      });
      for (const op of ops) assertValid('validateOp', op, 'operation');
      if (ops.length) appendLines(this.logPath, ops.map((o) => JSON.stringify(o)));
      return { ops, result };
    });
  }
}

/** Resolves a full id or a unique prefix against one view of the cache. Deleted beads resolve too. */
export function resolveIdIn(view: CacheReader, prefix: string, input: string): string {
  const wanted = input.trim();
  if (!wanted) throw new BeadsError('invalid_input', 'an empty id was given');
  const live = (id: string): boolean => view.state(id) !== undefined;
  if (view.hasId(wanted) && live(wanted)) return wanted;
  const candidates = new Set<string>(view.idsWithPrefix(wanted, 20).filter(live));
  if (!wanted.includes('-')) for (const id of view.idsWithPrefix(`${prefix}-${wanted}`, 20).filter(live)) candidates.add(id);
  if (candidates.size === 1) return [...candidates][0]!;
  if (candidates.size === 0) throw new BeadsError('not_found', `no bead ${wanted}`, { id: wanted });
  const list = [...candidates];
  throw new BeadsError('ambiguous_id', `${wanted} is ambiguous: ${list.slice(0, 5).join(', ')}${list.length > 5 ? ', ...' : ''}`, { id: wanted, candidates: list });
}
