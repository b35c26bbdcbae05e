// The store: one .beads/ directory, its log (one file, or segments: log-files.ts), its lock and its caches.
// Reads fold the log through the caches (catching them up first when the log grew); writes append validated
// operations under the lock, each with a logical clock past everything already in the log.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BeadsError } from './errors.js';
import { appendLines, forEachLine, readOps, type CorruptLine } from './log.js';
import { BROKEN_LOG, DEFAULT_SEGMENT_BYTES, LOG_FILE, compareLog, forEachLogLine, logFileIsLink, logFileNames, writerSegment, type LogComparison } from './log-files.js';
import { catchUp } from './catch-up.js';
import { withLock } from './lock.js';
import type { BeadState } from './fold.js';
import { foldLog, type FoldedLog } from './fold-stream.js';
import { CACHE_FORMAT, CacheReader, memoryGeneration, readMeta, writeGeneration, type CacheMeta, type GenerationBase } from './cache.js';
import { isCacheTrouble } from './cache-files.js';
import { newOpId } from './ids.js';
import { assertValid, schemaProblem } from './validate.js';
import { runTransaction, type Transaction, type TransactionOptions } from './transaction.js';
import { beadHistory, historyOf, type HistoryOptions } from './history.js';
import type { Bead, Op } from './types.js';

export { LOG_FILE };
/** Store formats: 1, one log file (ops.jsonl); 2, segments under log/ (ops.jsonl, if any, sealed). */
export const SINGLE_FILE_FORMAT = 1;
export const SEGMENTED_FORMAT = 2;
/** The op schema's bound on `lc` (op.schema.json's maximum): far above any real count of operations. */
export const LC_BOUND = 2 ** 40;
export const CONFIG_FILE = 'config.json';

export interface StoreConfig {
  prefix: string;
  /** What new ids start with, when not the prefix (the wisp store's ids are `<prefix>-wisp-...`). */
  id_prefix?: string;
  /** Wisps untouched for longer are garbage-collected (e.g. "7d"). */
  wisp_max_age?: string;
  /** 1: one log file; 2: segments (see SEGMENTED_FORMAT). Absent: 1. */
  format?: number;
  /** A segment is sealed once it holds this many bytes. */
  segment_bytes?: number;
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
  readonly cacheDir: string;
  readonly lockPath: string;
  readonly config: StoreConfig;
  private reader?: CacheReader;
  private readonly now: () => Date;
  private readonly displayBase: string;

  private constructor(dir: string, config: StoreConfig, options: OpenOptions) {
    this.dir = dir;
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
      config = JSON.parse(readFileSync(configPath, 'utf8').replace(/^\uFEFF/, '')); // an editor's byte order mark is not content
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BeadsError('no_store', `no bead store at ${dir} (missing ${CONFIG_FILE}); run bd init`);
      throw new BeadsError('corrupt_log', `${configPath}: ${(err as Error).message}`);
    }
    const problem = schemaProblem('validateConfig', config);
    if (problem) throw new BeadsError('invalid_input', `${configPath}: ${problem}`, { what: CONFIG_FILE });
    const format = (config as StoreConfig).format ?? SINGLE_FILE_FORMAT;
    if (format > SEGMENTED_FORMAT) throw new BeadsError('no_store', `${configPath}: the store's format ${format} is newer than this bd knows (1 and 2): upgrade bd to use it`, { format });
    // a single-file store's one log file as a symlink (a remote may commit one): neither read nor written through
    if (format === SINGLE_FILE_FORMAT && logFileIsLink(dir)) {
      throw new BeadsError('corrupt_log', `${join(dir, LOG_FILE)} is a symbolic link: a store's log must be a regular file (bd neither reads nor writes through a link, which could point anywhere); replace it with the file it points to`);
    }
    return new BeadStore(dir, config as StoreConfig, options);
  }

  /** Whether the store's log is segments (format 2) rather than one file. */
  get segmented(): boolean {
    return (this.config.format ?? SINGLE_FILE_FORMAT) >= SEGMENTED_FORMAT;
  }

  get segmentBytes(): number {
    return this.config.segment_bytes ?? DEFAULT_SEGMENT_BYTES;
  }

  /**
   * The log file this clone appends to: its open segment (started, and named in `.beads/writer`, when it has
   * none or that one is full), or ops.jsonl in a single-file store. Writers ask under the lock.
   */
  get logPath(): string {
    return join(this.dir, this.segmented ? writerSegment(this.dir, this.segmentBytes) : LOG_FILE);
  }

  /** The files of the log, relative to the store's directory, oldest first. */
  logFiles(): string[] {
    return logFileNames(this.dir);
  }

  /** Calls onLine with every complete line of the log (raw text), file by file; `file` is as shown to people. */
  forEachLogLine(onLine: (text: string, file: string, line: number) => void): void {
    forEachLogLine(this.dir, (text, name, line) => onLine(text, this.displayPath(name), line));
  }

  /** A file of the store (by name relative to its directory) as shown to people. */
  displayPath(name: string): string {
    const path = join(this.dir, name);
    return relative(this.displayBase, path) || path;
  }

  get prefix(): string {
    return this.config.prefix;
  }

  /** What new ids start with (before the dash and random part). */
  get idPrefix(): string {
    return this.config.id_prefix ?? this.config.prefix;
  }

  /** The log as shown to people: ops.jsonl, or the segments' directory. */
  get displayLogPath(): string {
    return this.displayPath(this.segmented ? 'log' : LOG_FILE);
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  // ---- freshness -------------------------------------------------------------------------------------------

  /** The cache, caught up with the log. Throws corrupt_log when the log has corrupt lines. */
  view(options: { allowCorrupt?: boolean } = {}): CacheReader {
    const reader = this.freshReader();
    if (!options.allowCorrupt) refuseCorrupt(reader.meta.corrupt);
    return reader;
  }

  /** How the log compares with what a meta covers; `broken` too when its generation is not on disk. */
  private compare(meta: CacheMeta | null, inMemory = false): Readonly<LogComparison> {
    if (meta === null) return BROKEN_LOG;
    const cmp = compareLog(this.dir, meta.log);
    if (cmp.state !== 'broken' && !inMemory && !existsSync(join(this.cacheDir, `g${meta.gen}`))) return BROKEN_LOG;
    return cmp;
  }

  private freshReader(): CacheReader {
    if (this.reader && this.compare(this.reader.meta, this.reader.files.inMemory).state === 'current') return this.reader;
    const meta = readMeta(this.cacheDir);
    if (meta && this.compare(meta).state === 'current') {
      this.reader = new CacheReader(this.cacheDir, meta);
      return this.reader;
    }
    try {
      return withLock(this.lockPath, () => this.refreshLocked());
    } catch (err) {
      // the lock cannot be taken (a full disk): a read needs no lock to fold in memory
      if (!isCacheTrouble(err)) throw err;
      return this.memoryReader();
    }
  }

  /**
   * Brings the cache up to date with the log: caught up when the log's files only grew, else rebuilt. Holds
   * the lock. When the disk will not take the cache (deleted under us, full), the view is a fold held in
   * memory: the cache is derived, and its trouble never fails a read or a write.
   */
  private refreshLocked(): CacheReader {
    try {
      const meta = readMeta(this.cacheDir);
      const cmp = this.compare(meta);
      if (cmp.state === 'current') this.reader = new CacheReader(this.cacheDir, meta!);
      else {
        const next = cmp.state === 'grown' ? catchUp(new CacheReader(this.cacheDir, meta!), this.dir, cmp, (n) => this.displayPath(n)) : null;
        this.reader = next ?? this.rebuildLocked();
      }
    } catch (err) {
      if (!isCacheTrouble(err)) throw err;
      // a generation the meta does not describe (a file truncated or deleted): a new one, else a fold in memory
      this.reader = this.rebuildLocked();
    }
    return this.reader;
  }

  /** After the cache failed under a read: a rebuilt generation, or a fold in memory when the disk will not take one. */
  private recovered(): CacheReader {
    try {
      return withLock(this.lockPath, () => (this.reader = this.rebuildLocked()));
    } catch (err) {
      if (!isCacheTrouble(err)) throw err;
      return this.memoryReader();
    }
  }

  /** Rebuilds every cache file from the whole log, under the lock. */
  rebuild(): CacheMeta {
    return withLock(this.lockPath, () => (this.reader = this.rebuildLocked()).meta);
  }

  /** A new generation from a fold of the whole log; held in memory if the disk will not take it. */
  private rebuildLocked(): CacheReader {
    const folded = foldLog(this.dir, (n) => this.displayPath(n));
    const base = this.generationBase(folded);
    try {
      mkdirSync(this.cacheDir, { recursive: true });
      return new CacheReader(this.cacheDir, writeGeneration(this.cacheDir, folded.states, base, readMeta(this.cacheDir)?.gen ?? 0));
    } catch (err) {
      if (!isCacheTrouble(err)) throw err;
      return memoryGeneration(this.cacheDir, folded.states, base);
    }
  }

  /** A view of the whole log folded in memory, bypassing the cache on disk. */
  private memoryReader(): CacheReader {
    const folded = foldLog(this.dir, (n) => this.displayPath(n));
    return (this.reader = memoryGeneration(this.cacheDir, folded.states, this.generationBase(folded)));
  }

  private generationBase(folded: FoldedLog): GenerationBase {
    return { format: CACHE_FORMAT, log: folded.marks, maxLc: folded.maxLc, aliases: folded.aliases, corrupt: folded.corrupt, orphans: folded.orphans };
  }

  /**
   * Runs a read against the view, or, when the cache fails under it (deleted by another process), again
   * against a fold in memory. Every read of the store goes through here (the CLI's queries too), so deleting
   * `.beads/cache` is always safe.
   */
  read<T>(read: (view: CacheReader) => T, options: { allowCorrupt?: boolean } = {}): T {
    return this.reading(read, options.allowCorrupt);
  }

  private reading<T>(read: (view: CacheReader) => T, allowCorrupt = false): T {
    // the cache, else a rebuilt one (the failing one was truncated, say), else a fold in memory
    const views = [() => this.view({ allowCorrupt }), () => this.recovered(), () => this.memoryReader()];
    for (let i = 0; ; i++) {
      const view = views[i]!();
      if (!allowCorrupt) refuseCorrupt(view.meta.corrupt);
      try {
        return read(view);
      } catch (err) {
        if (!isCacheTrouble(err) || view.files.inMemory) throw err;
      }
    }
  }

  // ---- reads -----------------------------------------------------------------------------------------------

  /** Resolves a full id or any unique prefix of one (with or without the store's prefix). */
  resolveId(input: string): string {
    return this.reading((view) => resolveIdIn(view, this.idPrefix, input));
  }

  state(id: string): BeadState | undefined {
    return this.reading((view) => view.state(id));
  }

  /** The bead with this id or unique prefix. */
  get(idOrPrefix: string): Bead {
    return this.reading((view) => view.state(resolveIdIn(view, this.idPrefix, idOrPrefix))!.bead);
  }

  /** Every bead, deleted ones included, in no particular order; a cache that fails midway is finished from a fold in memory. */
  *allStates(): Generator<BeadState> {
    const view = this.view();
    const at = { shard: 0 };
    try {
      yield* view.allStates(undefined, 0, at);
      return;
    } catch (err) {
      if (!isCacheTrouble(err) || view.files.inMemory) throw err;
    }
    const memory = this.memoryReader();
    refuseCorrupt(memory.meta.corrupt);
    yield* memory.allStates(undefined, at.shard);
  }

  /** The operations of one bead (an id or unique prefix) in the store's total order (history.ts). */
  history(idOrPrefix: string, options: HistoryOptions = {}): Op[] {
    return beadHistory(this, idOrPrefix, options);
  }

  /** The operations of each bead given, keyed by its full id, each in the store's total order (history.ts). */
  historyOf(ids: readonly string[], options: HistoryOptions = {}): Map<string, Op[]> {
    return historyOf(this, ids, options);
  }

  // ---- writes ----------------------------------------------------------------------------------------------

  /**
   * Runs `decide` as one transaction (transaction.ts): its steps (create, set, link, close, record) are decided
   * under the lock against current state and appended as one write; a step that fails writes nothing. Returns
   * what `decide` returns. Upper layers write through this, never building operations. `dryRun`: every step
   * is decided and checked against the current state, and nothing is written.
   */
  transaction<T>(actor: string, decide: (tx: Transaction) => T, options: TransactionOptions = {}): T {
    return runTransaction(this, actor, decide, options);
  }

  /**
   * Rewrites the log keeping only the operations `keep` accepts (for stores that are not synced, such as the
   * wisp store: burning a wisp removes it). Atomic per file: a temp file renamed over each file that loses a
   * line; the caches are rebuilt.
   */
  rewriteLog(keep: (op: Op) => boolean): number {
    return withLock(this.lockPath, () => {
      const files = this.logFiles().map((name) => ({ name, chunk: readOps(join(this.dir, name), 0, 1, this.displayPath(name)) }));
      for (const f of files) refuseCorrupt(f.chunk.corrupt);
      let removed = 0;
      for (const { name, chunk } of files) {
        const kept = chunk.ops.filter(keep);
        if (kept.length === chunk.ops.length) continue;
        removed += chunk.ops.length - kept.length;
        const path = join(this.dir, name);
        const tmp = `${path}.tmp${process.pid}`;
        writeFileSync(tmp, kept.map((o) => JSON.stringify(o) + '\n').join(''));
        renameSync(tmp, path);
      }
      this.reader = this.rebuildLocked();
      return removed;
    });
  }

  /** Removes every operation of these beads from the log (see rewriteLog: stores never synced). Returns how many went. */
  removeBeads(ids: Iterable<string>): number {
    const gone = new Set(ids);
    return this.rewriteLog((op) => !gone.has(op.bead));
  }

  /**
   * Appends operations atomically: under the lock, catches up, lets `build` decide what to write against the
   * current state (so checks and writes cannot interleave with another writer), stamps, validates, fsyncs.
   * `build` only decides: when the cache fails under it, it runs again against a fold in memory. Once the
   * lines are fsynced the write has succeeded, whatever then happens to the cache.
   */
  write<T = void>(actor: string, build: (view: CacheReader) => { ops: OpDraft[]; result?: T }): { ops: Op[]; result: T | undefined } {
    return withLock(this.lockPath, () => {
      this.followFormat();
      let reader = this.refreshLocked();
      refuseCorrupt(reader.meta.corrupt);
      let built: { ops: OpDraft[]; result?: T };
      try {
        built = build(reader);
      } catch (err) {
        if (!isCacheTrouble(err) || reader.files.inMemory) throw err;
        reader = this.memoryReader();
        refuseCorrupt(reader.meta.corrupt);
        built = build(reader);
      }
      const { ops: drafts, result } = built;
      let lc = reader.meta.maxLc;
      if (lc + drafts.length > LC_BOUND) throw this.clockAtBound(lc);
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

  /**
   * A store opened before `bd migrate` ran (a long-lived process: a daemon, an agent's session) takes up the
   * segmented format under the lock, before it writes: it must not go on appending to the sealed ops.jsonl.
   */
  private followFormat(): void {
    if (this.segmented) return;
    try {
      const format = (JSON.parse(readFileSync(join(this.dir, CONFIG_FILE), 'utf8').replace(/^\uFEFF/, '')) as StoreConfig).format;
      if (typeof format === 'number' && format === SEGMENTED_FORMAT) this.config.format = format;
    } catch {
      /* the config as opened stands */
    }
  }

  /**
   * The log holds a line whose clock is at the bound, which no store reaches by counting (a hand edit, a
   * hostile line): nothing can be ordered after it. The log's fault, not the caller's input, so it is named.
   */
  private clockAtBound(maxLc: number): BeadsError {
    let line = 0;
    let file = this.displayLogPath;
    this.forEachLogLine((text, name, n) => {
      if (!line && text.includes(`"lc":${maxLc}`)) [line, file] = [n, name];
    });
    return new BeadsError('corrupt_log', `${file}:${line || '?'}: the line's logical clock (lc ${maxLc}) is at the bound (${LC_BOUND}): no operation can follow it, and bd never writes one that high; remove that line by hand or restore the log from git`, { file, line, lc: maxLc });
  }
}

/** Stops with the first corrupt line of the log, named by file and line. */
function refuseCorrupt(corrupt: CorruptLine[]): void {
  const c = corrupt[0];
  if (c) throw new BeadsError('corrupt_log', `${c.file}:${c.line}: corrupt line in the bead log (${c.message})${corrupt.length > 1 ? ` and ${corrupt.length - 1} more` : ''}; fix it by hand or restore it from git, or run bd doctor --fix to move the corrupt lines to .beads/ops.corrupt.jsonl`, { file: c.file, line: c.line, corrupt: corrupt.length });
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
