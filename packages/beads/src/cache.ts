// Derived, gitignored caches of the folded log under .beads/cache/, so queries on 100,000 beads cost
// milliseconds. The log is the truth: every file here can be rebuilt from it, and is, when missing or stale.
//
//   meta.json         what the cache covers: log size and lines, a hash of the log's last bytes, the largest
//                     logical clock, the valid length of each file below (bytes past it are from a crashed
//                     update and ignored), collisions resolved, corrupt lines seen. Written last, atomically.
//   g<N>/shards.base  every bead state, as 1,024 shards one after another (where each starts is in the meta)
//   g<N>/shards/XXXX  lines appended to shard XXXX since (made on the first; the last line for an id wins)
//   g<N>/hot-<V>.idx|body  every bead not closed or deleted (hot-index.ts), compacted when it has grown
//   g<N>/ids-<V>.txt  every bead id, one a line, sorted but for a recent tail (id-list.ts)
//
// Readers take no lock, so nothing a reader may be reading is ever rewritten in place. Files only grow past
// the lengths an older meta names, or are written whole under a new name that the next meta points to: a full
// rebuild writes a new generation directory, and a rewrite of the hot index or the id list (a compaction, a
// re-parenting) writes version V+1 of those files. A reader that loaded an older meta keeps reading the files
// it names. What is superseded is removed once its successor is cacheLimits.retireMs old: a reader holding a
// meta that much older finds its files gone and must refresh.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BeadState } from './fold.js';
import type { CorruptLine } from './log.js';
import type { FileMark } from './log-files.js';
import type { Bead } from './types.js';
import { canonicalBead, parentsOf } from './record.js';
import { appendAt, diskFiles, memoryFiles, readPrefix, writeAtomic, type CacheFiles } from './cache-files.js';
import { IdList } from './id-list.js';
import { carryReady, readSavedReady, readyRow, rowHeader, saveReady, type ReadyState } from './ready-answer.js';
import { H, HotIndex, ancestorsIn, ancestorsOf, appendHotText, blockersAbove, blockersOf, blockersOfBead, bodyJson, hotHeader, hotPaths, isHot, writeHotText, type HotHeader } from './hot-index.js';

export const SHARDS = 1024;

/**
 * When files that only grow are rewritten whole: the hot index past hotFactor x its size after the last
 * rewrite plus hotMinBytes; ids.txt once its unsorted tail passes idTailBytes. The saved ready answer keeps the first
 * readySaved beads. (Tests lower them.)
 */
export const cacheLimits = { hotFactor: 4, hotMinBytes: 1 << 20, idTailBytes: 128 * 1024, retireMs: 60_000, readySaved: 1000 };
export const CACHE_FORMAT = 12;

export interface CacheMeta {
  format: number;
  gen: number;
  /** How far the cache has read each file of the log, in the log's order. */
  log: FileMark[];
  maxLc: number;
  count: number;
  /** Where each shard starts in shards.base as a full build wrote it (SHARDS + 1 offsets: shard n is [n, n + 1)). */
  shardBase: number[];
  /** Valid length of each shard's own file of lines appended since (shards/XXXX, made on the first). */
  shardLengths: number[];
  hotLength: number;
  hotBodyLength: number;
  /** hot.idx's length right after it was last written whole. */
  hotBase: number;
  /** Versions of the hot index's and the id list's files (bumped when one is rewritten whole). */
  hotFile: number;
  idsFile: number;
  idsLength: number;
  /** Length of ids.txt's sorted part. */
  idsSorted: number;
  /** log id -> bead ids, for log ids whose creates collided across clones. */
  aliases: Record<string, string[]>;
  corrupt: CorruptLine[];
  orphans: string[];
}

/** What a rebuild knows about the log; the rest of the meta comes from the files it writes. */
export type GenerationBase = Omit<CacheMeta, 'gen' | 'shardBase' | 'shardLengths' | 'hotLength' | 'hotBodyLength' | 'hotBase' | 'idsLength' | 'idsSorted' | 'count' | 'hotFile' | 'idsFile'>;

export function shardOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % SHARDS;
}

/** Every shard as a full build wrote it, in one file: making 1,024 files cost ~0.8 s of a build on some disks. */
function shardBasePath(genDir: string): string {
  return join(genDir, 'shards.base');
}

function shardPath(genDir: string, n: number): string {
  return join(genDir, 'shards', String(n).padStart(4, '0'));
}

function idsPath(genDir: string, version: number): string {
  return join(genDir, `ids-${version}.txt`);
}

/** A shard's line for a state: the same text as a hot body. */
const stateLine = bodyJson;

export function parseStateLine(text: string): BeadState | null {
  const rec = JSON.parse(text) as Record<string, unknown>;
  if (rec._gone) return null;
  const s = rec._s as { o: string; l: string; c: number; p: string };
  delete rec._s;
  return { bead: rec as Bead, origin: s.o, logId: s.l, lc: s.c, op: s.p };
}

/** Read access to one generation of the cache, as described by a meta. */
export class CacheReader {
  private hot?: HotIndex;
  private idList?: IdList;
  private idLookups = 0;
  /** Set by a caller about to look up many ids (a catch-up): load the id list at once. */
  manyLookups = false;
  private shardText = new Map<number, string>();

  constructor(
    readonly dir: string,
    readonly meta: CacheMeta,
    readonly files: CacheFiles = diskFiles,
  ) {}

  get genDir(): string {
    return join(this.dir, `g${this.meta.gen}`);
  }

  hotIndex(): HotIndex {
    this.hot ??= HotIndex.open(this.genDir, this.meta.hotFile, this.meta.hotLength, this.meta.hotBodyLength, this.files);
    return this.hot;
  }

  /**
   * The first saved ready beads for this exact cache state (as headers good for ordering and reading bodies),
   * if still valid at `now`, and whether they are all of them.
   */
  readyAnswer(now: number): { headers: HotHeader[]; complete: boolean } | null {
    const saved = readSavedReady(this.files, this.genDir, readyKeyOf(this.meta), now);
    return saved && { headers: saved.rows.map(rowHeader), complete: saved.complete };
  }

  /** Saves a computed answer (its first cacheLimits.readySaved beads, and the blocked rows). */
  saveReadyAnswer(ready: HotHeader[], state: Omit<ReadyState, 'beads' | 'complete'>): void {
    saveReady(this.files, this.genDir, readyKeyOf(this.meta), { ...state, beads: ready.slice(0, cacheLimits.readySaved).map(readyRow) }, ready.length <= cacheLimits.readySaved, cacheLimits.readySaved);
  }

  /** The hot index if something already opened it. */
  loadedHot(): HotIndex | undefined {
    return this.hot;
  }

  /** Takes over a hot index already in memory (after a catch-up updated it), sparing a re-read. */
  adoptHot(hot: HotIndex | undefined): void {
    this.hot = hot;
  }

  private ids(): IdList {
    this.idList ??= new IdList(this.files.read(idsPath(this.genDir, this.meta.idsFile), this.meta.idsLength).toString('utf8'), this.meta.idsSorted);
    return this.idList;
  }

  /**
   * Whether the store has ever had this id (deleted and collision-renamed ones included). A few lookups read
   * the id's shard, smaller than the whole id list; a catch-up of many loads the list once.
   */
  hasId(id: string): boolean {
    if (this.idList || this.manyLookups || ++this.idLookups > 8) return this.ids().has(id);
    return this.shard(shardOf(id)).includes(`\n{"id":${JSON.stringify(id)},`);
  }

  /** Ids that start with `prefix` (at most `max`). */
  idsWithPrefix(prefix: string, max = 10): string[] {
    return this.ids().withPrefix(prefix, max);
  }

  /** Direct parents of a bead, from its state. */
  parentsOf(id: string): string[] | undefined {
    const state = this.state(id);
    return state ? parentsOf(state.bead) : undefined;
  }

  private shard(n: number): string {
    let text = this.shardText.get(n);
    if (text === undefined) {
      const { shardBase, shardLengths } = this.meta;
      text = this.files.read(shardBasePath(this.genDir), shardBase[n + 1]!, shardBase[n]!).toString('utf8');
      if (shardLengths[n]) text += this.files.read(shardPath(this.genDir, n), shardLengths[n]!).toString('utf8');
      this.shardText.set(n, text);
    }
    return text;
  }

  /** A bead's state: from the hot index when it is loaded (a catch-up of many beads loads it), else its shard. */
  state(id: string): BeadState | undefined {
    const hot = this.hot?.isParsed ? this.hot.state(id) : undefined;
    if (hot) return hot;
    const text = this.shard(shardOf(id));
    const at = text.lastIndexOf(`\n{"id":${JSON.stringify(id)},`);
    if (at < 0) return undefined;
    let end = text.indexOf('\n', at + 1);
    if (end < 0) end = text.length;
    return parseStateLine(text.slice(at + 1, end)) ?? undefined;
  }

  /**
   * Every bead's state (the last line per id in each shard); `maybe`, given its JSON text, may rule it out
   * unparsed. From shard `from` on; `at` follows the shard being read.
   */
  *allStates(maybe?: (json: string) => boolean, from = 0, at?: { shard: number }): Generator<BeadState> {
    for (let n = from; n < SHARDS; n++) {
      if (at) at.shard = n; // a shard is read whole before any of its beads is yielded: one that fails is resumed from
      const latest = new Map<string, string>();
      for (const line of this.shard(n).split('\n')) {
        if (!line) continue;
        const idEnd = line.indexOf('",', 7);
        latest.set(line.slice(7, idEnd), line);
      }
      this.shardText.delete(n);
      for (const line of latest.values()) {
        if (maybe && !maybe(line)) continue;
        const state = parseStateLine(line);
        if (state) yield state;
      }
    }
  }
}

/** What a saved ready answer is keyed to: the generation, the log read and the hot index's files. */
export function readyKeyOf(m: CacheMeta): string {
  return `${m.gen}:${logLines(m)}:${m.hotFile}:${m.hotLength}:${m.hotBodyLength}`;
}

/** Complete lines of the log the cache covers, over every file. */
export function logLines(meta: Pick<CacheMeta, 'log'>): number {
  return meta.log.reduce((n, m) => n + m.lines, 0);
}

export function readMeta(cacheDir: string): CacheMeta | null {
  try {
    const meta = JSON.parse(readFileSync(join(cacheDir, 'meta.json'), 'utf8')) as CacheMeta;
    return meta.format === CACHE_FORMAT ? meta : null;
  } catch {
    return null;
  }
}

export function writeMeta(cacheDir: string, meta: CacheMeta): void {
  writeAtomic(join(cacheDir, 'meta.json'), JSON.stringify(meta));
}

/**
 * Writes a whole new generation from a complete fold. Generation numbers are never reused (they start from
 * the clock), so a reader of a generation deleted with the cache never reads a newer one's files by its name.
 * A build that fails leaves nothing behind.
 */
export function writeGeneration(cacheDir: string, states: Map<string, BeadState>, base: GenerationBase, previousGen: number): CacheMeta {
  const existing = readdirSync(cacheDir).map((e) => /^g(\d+)$/.exec(e)).filter((m) => m !== null).map((m) => Number(m[1]));
  const gen = Math.max(previousGen, ...existing, Date.now() - 1) + 1;
  const genDir = join(cacheDir, `g${gen}`);
  let meta: CacheMeta;
  try {
    mkdirSync(join(genDir, 'shards'), { recursive: true });
    meta = buildGeneration(genDir, gen, states, base, diskFiles);
    writeMeta(cacheDir, meta);
  } catch (err) {
    rmSync(genDir, { recursive: true, force: true });
    throw err;
  }
  // Older generations stay for readers that opened them a moment ago (readers take no lock): the previous
  // one always, two more while recent (each is the size of the store).
  const older = existing.filter((n) => n < gen).sort((a, b) => a - b);
  older.forEach((n, i) => {
    const rank = older.length - i; // 1: the previous generation
    const successor = older[i + 1] ?? gen;
    if (rank > 1 && (rank > 3 || retired(join(cacheDir, `g${successor}`)))) rmSync(join(cacheDir, `g${n}`), { recursive: true, force: true });
  });
  return meta;
}

/** A generation held in memory, for when the disk will not take one: the same reads, nothing written. */
export function memoryGeneration(cacheDir: string, states: Map<string, BeadState>, base: GenerationBase): CacheReader {
  const files = memoryFiles();
  return new CacheReader(cacheDir, buildGeneration(join(cacheDir, 'g0'), 0, states, base, files), files);
}

function buildGeneration(genDir: string, gen: number, states: Map<string, BeadState>, base: GenerationBase, files: CacheFiles): CacheMeta {
  const byId = (a: BeadState, b: BeadState): number => (a.bead.id < b.bead.id ? -1 : a.bead.id > b.bead.id ? 1 : 0);
  // Each shard is serialised, written and let go in turn: the whole store's text is never held at once.
  const byShard: BeadState[][] = Array.from({ length: SHARDS }, () => []);
  const ids: string[] = [];
  const hotStates: BeadState[] = [];
  for (const state of states.values()) {
    byShard[shardOf(state.bead.id)]!.push(state);
    ids.push(state.bead.id);
    if (isHot(state.bead)) hotStates.push(state);
  }
  // A hot bead's body is its state line: made once, used twice. Shards go to the base file a few MB at a time.
  const hotBodies = new Map<string, string>();
  const shardBase = [0];
  const basePath = shardBasePath(genDir);
  files.write(basePath, '');
  // Each shard is encoded once, and its length taken from the bytes (measuring the text, then joining and
  // encoding it at the write, went over 111 MB three times: ~50 ms of a build at 100,000 beads).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  byShard.forEach((list) => {
    const lines = list.sort(byId).map((state) => {
      const line = stateLine(state);
      if (isHot(state.bead)) hotBodies.set(state.bead.id, line);
      return line;
    });
    const bytes = Buffer.from(['', ...lines].join('\n'), 'utf8');
    shardBase.push(shardBase[shardBase.length - 1]! + bytes.length);
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes > 4 << 20) {
      files.append(basePath, Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
    }
  });
  if (pending.length) files.append(basePath, Buffer.concat(pending, pendingBytes));
  const shardLengths = byShard.map(() => 0);
  const memo = new Map<string, string[]>();
  const directParents = (id: string): string[] | undefined => {
    const s = states.get(id);
    return s ? parentsOf(s.bead) : undefined;
  };
  const blockersOfId = (id: string): string[] => blockersOfBead(states.get(id)?.bead);
  const hot = hotStates.sort(byId).map((state) => {
    const ancestors = ancestorsOf(state.bead.id, directParents, memo);
    return { header: hotHeader(state.bead, ancestors, blockersAbove(ancestors, blockersOfId)), body: hotBodies.get(state.bead.id)! };
  });
  const hotText = writeHotText(hot);
  const idsText = IdList.sortedText(ids);
  files.write(hotPaths(genDir, 0).idx, hotText.idx);
  files.write(hotPaths(genDir, 0).body, hotText.body);
  files.write(idsPath(genDir, 0), idsText);
  const hotLength = Buffer.byteLength(hotText.idx);
  return {
    ...base,
    gen,
    count: states.size,
    shardBase,
    shardLengths,
    hotLength,
    hotBase: hotLength,
    hotFile: 0,
    idsFile: 0,
    hotBodyLength: Buffer.byteLength(hotText.body),
    idsLength: idsText.length,
    idsSorted: idsText.length,
  };
}

/** Whether what `successor` superseded may go: the successor is missing (itself superseded) or old enough. */
function retired(successor: string): boolean {
  try {
    return Date.now() - statSync(successor).mtimeMs > cacheLimits.retireMs;
  } catch {
    return true;
  }
}

/** Removes versions of the hot index and the id list that were superseded long enough ago (best effort). */
function retireVersions(genDir: string, meta: CacheMeta): void {
  let entries: string[];
  try {
    entries = readdirSync(genDir);
  } catch {
    return; // the cache went away: nothing to tidy
  }
  for (const entry of entries) {
    const m = /^(hot|ids)-(\d+)\.(idx|body|txt)$/.exec(entry);
    if (!m) continue;
    const v = Number(m[2]);
    const hot = m[1] === 'hot';
    if (v >= (hot ? meta.hotFile : meta.idsFile)) continue;
    if (retired(hot ? hotPaths(genDir, v + 1).idx : idsPath(genDir, v + 1))) rmSync(join(genDir, entry), { force: true });
  }
}

/**
 * Applies changed bead states to the current generation (see applyChangesTo). An update that fails removes
 * the new versions of files it wrote; bytes it appended past the meta's lengths are ignored and cut later.
 */
export function applyChanges(reader: CacheReader, changed: Map<string, BeadState | null>, metaUpdate: Partial<CacheMeta>): CacheReader {
  try {
    return applyChangesTo(reader, changed, metaUpdate);
  } catch (err) {
    const { hotFile, idsFile } = reader.meta;
    for (const path of [hotPaths(reader.genDir, hotFile + 1).idx, hotPaths(reader.genDir, hotFile + 1).body, idsPath(reader.genDir, idsFile + 1)]) rmSync(path, { force: true });
    throw err;
  }
}

/**
 * Applies changed bead states to the current generation: appends only, except when the hot index is
 * compacted, or rewritten because an existing bead changed parents (its descendants' ancestors change).
 */
function applyChangesTo(reader: CacheReader, changed: Map<string, BeadState | null>, metaUpdate: Partial<CacheMeta>): CacheReader {
  const meta: CacheMeta = { ...reader.meta, ...metaUpdate, shardLengths: [...reader.meta.shardLengths] };
  const genDir = reader.genDir;
  const byShard = new Map<number, string[]>();
  const newIds: string[] = [];
  // Direct parents after this change, for the beads it touches.
  const newParents = new Map<string, string[]>();
  let reparented = false;
  // Beads whose blockers (as passed down to descendants) change: their hot descendants' headers change too.
  const passDown = new Set<string>();
  for (const [id, state] of changed) {
    const existed = reader.hasId(id);
    const lines = byShard.get(shardOf(id)) ?? [];
    byShard.set(shardOf(id), lines);
    const previous = existed ? reader.state(id) : undefined;
    const was = previous ? parentsOf(previous.bead) : [];
    if (existed && blockersOfBead(previous?.bead).join(',') !== blockersOfBead(state?.bead).join(',')) passDown.add(id);
    if (state === null) {
      lines.push(JSON.stringify({ id, _gone: 1 }));
      newParents.set(id, []);
      continue;
    }
    lines.push(stateLine(state));
    if (!existed) newIds.push(id);
    const parents = parentsOf(state.bead);
    newParents.set(id, parents);
    if (existed && parents.join(',') !== was.join(',')) reparented = true;
  }
  for (const [n, lines] of byShard) meta.shardLengths[n] = appendAt(shardPath(genDir, n), meta.shardLengths[n] ?? 0, lines.map((l) => '\n' + l).join(''));
  if (newIds.length) meta.idsLength = appendAt(idsPath(genDir, meta.idsFile), meta.idsLength, newIds.join('\n') + '\n');
  if (meta.idsLength - meta.idsSorted > cacheLimits.idTailBytes) {
    const text = IdList.sortedText(new IdList(readPrefix(idsPath(genDir, meta.idsFile), meta.idsLength), meta.idsSorted).all());
    writeFileSync(idsPath(genDir, ++meta.idsFile), text);
    meta.idsLength = meta.idsSorted = text.length;
  }
  meta.count = reader.meta.count + newIds.length;
  const parentsMemo = new Map<string, string[] | undefined>();
  const directParents = (id: string): string[] | undefined => {
    if (newParents.has(id)) return newParents.get(id);
    if (!parentsMemo.has(id)) parentsMemo.set(id, reader.parentsOf(id));
    return parentsMemo.get(id);
  };

  // A bead's blockers as passed down: from this change, else its hot header, else its state (a closed bead).
  const blockersMemo = new Map<string, string[]>();
  const blockersOfId = (id: string): string[] => {
    let list = blockersMemo.get(id);
    if (list) return list;
    const h = changed.has(id) ? undefined : reader.hotIndex().get(id);
    list = changed.has(id) ? blockersOfBead(changed.get(id)?.bead) : h ? blockersOf(h).filter((b) => b !== id) : blockersOfBead(reader.state(id)?.bead);
    blockersMemo.set(id, list);
    return list;
  };
  const touchesPassDown = (ancestors: string): boolean => {
    if (passDown.size === 0 || ancestors === '') return false;
    for (const id of passDown) if (ancestors.includes(id) && ancestors.split(',').includes(id)) return true;
    return false;
  };

  const next = new CacheReader(reader.dir, meta);
  if (reparented || meta.hotLength > cacheLimits.hotFactor * meta.hotBase + cacheLimits.hotMinBytes) {
    // Rewrite the hot index whole: one line per live bead, every ancestor list recomputed, and the blockers
    // above wherever the ancestors or their blockers changed.
    const live = new Map(reader.hotIndex().entries().map((e) => [e.header[H.id], e]));
    for (const [id, state] of changed) {
      if (state && isHot(state.bead)) live.set(id, { header: hotHeader(state.bead, []), body: bodyJson(state) });
      else live.delete(id);
    }
    const memo = new Map<string, string[]>();
    for (const [id, e] of live) {
      const ancestors = ancestorsOf(id, directParents, memo);
      const joined = ancestors.join(',');
      if (changed.has(id) || joined !== e.header[H.ancestors] || touchesPassDown(joined)) e.header[H.up] = blockersAbove(ancestors, blockersOfId);
      e.header[H.ancestors] = joined;
    }
    const text = writeHotText(live.values());
    const paths = hotPaths(genDir, ++meta.hotFile);
    writeFileSync(paths.body, text.body);
    writeFileSync(paths.idx, text.idx);
    meta.hotLength = meta.hotBase = Buffer.byteLength(text.idx);
    meta.hotBodyLength = Buffer.byteLength(text.body);
    writeMeta(reader.dir, meta);
    retireVersions(genDir, meta);
    return next;
  }
  // Append. A bead that stays hot keeps its ancestors (no parent changed, or the branch above ran); a new
  // one takes them from its parents' headers where those are hot, else walks the parent list.
  const memo = new Map<string, string[]>();
  const knownAncestors = (id: string): string[] | undefined => {
    const h = changed.has(id) ? undefined : reader.hotIndex().get(id);
    return h ? ancestorsIn(h) : undefined;
  };
  const entries: { id: string; header: HotHeader | null; body?: string }[] = [];
  for (const [id, state] of changed) {
    if (state && isHot(state.bead)) {
      const previous = reader.hasId(id) ? reader.hotIndex().get(id) : undefined;
      const ancestors = previous ? ancestorsIn(previous) : ancestorsOf(id, directParents, memo, knownAncestors);
      const above = previous && !touchesPassDown(previous[H.ancestors]) ? previous[H.up] : blockersAbove(ancestors, blockersOfId);
      entries.push({ id, header: hotHeader(state.bead, ancestors, above), body: bodyJson(state) });
    } else if (reader.hasId(id)) entries.push({ id, header: null });
  }
  // Hot descendants of a bead whose blockers changed (closed ones included) take the new blockers above; their
  // bodies stay where they are.
  if (passDown.size) {
    for (const h of reader.hotIndex().headers.values()) {
      if (changed.has(h[H.id]) || !touchesPassDown(h[H.ancestors])) continue;
      const above = blockersAbove(ancestorsIn(h), blockersOfId);
      if (above !== h[H.up]) entries.push({ id: h[H.id], header: [...h.slice(0, H.up), above] as HotHeader });
    }
  }
  const text = appendHotText(entries, meta.hotBodyLength);
  const paths = hotPaths(genDir, meta.hotFile);
  if (text.body) meta.hotBodyLength = appendAt(paths.body, meta.hotBodyLength, text.body);
  if (text.idx) meta.hotLength = appendAt(paths.idx, meta.hotLength, text.idx);
  const hot = reader.loadedHot();
  if (hot?.isParsed) {
    hot.noteAppended(entries, meta.hotLength, meta.hotBodyLength);
    next.adoptHot(hot);
  }
  // The saved ready answer is carried over these changes rather than left to be computed again.
  const hotAfter = new Map(entries.map((e) => [e.id, e.header !== null]));
  const live = (id: string): boolean => {
    const known = hotAfter.get(id);
    if (known !== undefined) return known;
    if (hot?.isParsed) return hot.has(id);
    const state = reader.state(id);
    return state !== undefined && isHot(state.bead);
  };
  carryReady(diskFiles, genDir, readyKeyOf(reader.meta), readyKeyOf(meta), entries, live, cacheLimits.readySaved);
  writeMeta(reader.dir, meta);
  retireVersions(genDir, meta);
  return next;
}

export { isHot, type HotHeader };
