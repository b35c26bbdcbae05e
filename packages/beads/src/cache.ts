// Derived, gitignored caches of the folded log under .beads/cache/, so queries on 100,000 beads cost
// milliseconds. The log is the truth: every file here can be rebuilt from it, and is, when missing or stale.
//
//   meta.json        what the cache covers: log size and lines, a hash of the log's last bytes, the largest
//                    logical clock, the valid length of each file below (bytes past it are from a crashed
//                    update and ignored), collisions resolved, corrupt lines seen. Written last, atomically.
//   g<N>/shards/XX   one of 256 append-only files of bead states (the last line for an id wins)
//   g<N>/hot.jsonl   every bead not closed or deleted: a small header for `ready`, a tab, the bead's JSON
//   g<N>/ids.txt     every bead id, one a line, for unique-prefix lookups
//   g<N>/parents.txt child<TAB>parents, append-only (last wins), to walk ancestors through closed beads
//
// A full rebuild writes a new generation directory, so readers of the old one are never torn.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync, ftruncateSync, fstatSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { BeadState } from './fold.js';
import type { CorruptLine } from './log.js';
import type { Bead } from './types.js';
import { canonicalBead, parentsOf } from './record.js';
import { BLOCKING_DEP_TYPES } from './types.js';

export const SHARDS = 256;
export const CACHE_FORMAT = 1;

export interface CacheMeta {
  format: number;
  gen: number;
  logSize: number;
  logLines: number;
  tailHash: string;
  maxLc: number;
  count: number;
  shardLengths: number[];
  hotLength: number;
  idsLength: number;
  parentsLength: number;
  /** log id -> bead ids, for log ids whose creates collided across clones. */
  aliases: Record<string, string[]>;
  corrupt: CorruptLine[];
  orphans: string[];
}

/** header of a hot line: [id, status, priority, issue_type, created_at (ms), defer_until, parents, blockers] */
export type HotHeader = [string, string, number, string, number, string, string[], string[]];

export interface HotEntry {
  header: HotHeader;
  json: string;
}

export function shardOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % SHARDS;
}

export function tailHash(buf: Buffer): string {
  return createHash('sha1').update(buf).digest('hex');
}

export function hotHeader(bead: Bead): HotHeader {
  const blockers = (bead.dependencies ?? []).filter((d) => BLOCKING_DEP_TYPES.has(d.type)).map((d) => d.depends_on_id);
  return [bead.id, bead.status, bead.priority, bead.issue_type, Date.parse(bead.created_at) || 0, bead.defer_until ?? '', parentsOf(bead), blockers];
}

export function isHot(bead: Bead): boolean {
  return bead.status !== 'closed' && bead.status !== 'tombstone';
}

function stateLine(state: BeadState): string {
  const rec = canonicalBead(state.bead) as Record<string, unknown>;
  rec._s = { o: state.origin, l: state.logId, c: state.lc, p: state.op };
  return JSON.stringify(rec);
}

export function parseStateLine(text: string): BeadState | null {
  const rec = JSON.parse(text) as Record<string, unknown>;
  if (rec._gone) return null;
  const s = rec._s as { o: string; l: string; c: number; p: string };
  delete rec._s;
  return { bead: rec as Bead, origin: s.o, logId: s.l, lc: s.c, op: s.p };
}

function readPrefix(path: string, length: number): string {
  if (length === 0) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Appends `text` at byte `at` (cutting anything a crashed update left past it); returns the new length. */
function appendAt(path: string, at: number, text: string): number {
  const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
  try {
    if (fstatSync(fd).size !== at) ftruncateSync(fd, at);
    const buf = Buffer.from(text, 'utf8');
    writeSync(fd, buf, 0, buf.length, at);
    return at + buf.length;
  } finally {
    closeSync(fd);
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Read access to one generation of the cache, as described by a meta. */
export class CacheReader {
  private hot?: Map<string, HotEntry>;
  private idsText?: string;
  private parents?: Map<string, string[]>;
  private shardText = new Map<number, string>();

  constructor(readonly dir: string, readonly meta: CacheMeta) {}

  get genDir(): string {
    return join(this.dir, `g${this.meta.gen}`);
  }

  hotEntries(): Map<string, HotEntry> {
    if (this.hot) return this.hot;
    const map = new Map<string, HotEntry>();
    const text = readPrefix(join(this.genDir, 'hot.jsonl'), this.meta.hotLength);
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      const tab = text.indexOf('\t', start);
      if (tab > start && tab < nl) {
        const header = JSON.parse(text.slice(start, tab)) as HotHeader;
        map.set(header[0], { header, json: text.slice(tab + 1, nl) });
      }
      start = nl + 1;
    }
    this.hot = map;
    return map;
  }

  ids(): string {
    if (this.idsText === undefined) this.idsText = readPrefix(join(this.genDir, 'ids.txt'), this.meta.idsLength);
    return this.idsText;
  }

  hasId(id: string): boolean {
    return this.ids().includes(`\n${id}\n`);
  }

  /** Ids that start with `prefix` (at most `max`). */
  idsWithPrefix(prefix: string, max = 10): string[] {
    const text = this.ids();
    const out: string[] = [];
    let from = 0;
    for (;;) {
      const at = text.indexOf(`\n${prefix}`, from);
      if (at < 0) break;
      const end = text.indexOf('\n', at + 1);
      if (end < 0) break;
      out.push(text.slice(at + 1, end));
      if (out.length >= max) break;
      from = end;
    }
    return out;
  }

  allIds(): string[] {
    return this.ids().split('\n').filter(Boolean);
  }

  parentMap(): Map<string, string[]> {
    if (this.parents) return this.parents;
    const map = new Map<string, string[]>();
    const text = readPrefix(join(this.genDir, 'parents.txt'), this.meta.parentsLength);
    for (const line of text.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const parents = line.slice(tab + 1);
      if (parents) map.set(line.slice(0, tab), parents.split(','));
      else map.delete(line.slice(0, tab));
    }
    this.parents = map;
    return map;
  }

  private shard(n: number): string {
    let text = this.shardText.get(n);
    if (text === undefined) {
      text = readPrefix(join(this.genDir, 'shards', String(n).padStart(3, '0')), this.meta.shardLengths[n] ?? 0);
      this.shardText.set(n, text);
    }
    return text;
  }

  state(id: string): BeadState | undefined {
    const text = this.shard(shardOf(id));
    const at = text.lastIndexOf(`\n{"id":${JSON.stringify(id)},`);
    if (at < 0) return undefined;
    let end = text.indexOf('\n', at + 1);
    if (end < 0) end = text.length;
    return parseStateLine(text.slice(at + 1, end)) ?? undefined;
  }

  /** Every bead state, the last line per id in each shard. */
  *allStates(): Generator<BeadState> {
    for (let n = 0; n < SHARDS; n++) {
      const latest = new Map<string, string>();
      for (const line of this.shard(n).split('\n')) {
        if (!line) continue;
        const idEnd = line.indexOf('",', 7);
        latest.set(line.slice(7, idEnd), line);
      }
      this.shardText.delete(n);
      for (const line of latest.values()) {
        const state = parseStateLine(line);
        if (state) yield state;
      }
    }
  }
}

export function readMeta(cacheDir: string): CacheMeta | null {
  try {
    const meta = JSON.parse(readFileSync(join(cacheDir, 'meta.json'), 'utf8')) as CacheMeta;
    return meta.format === CACHE_FORMAT ? meta : null;
  } catch {
    return null;
  }
}

/** Writes a whole new generation from a complete fold. */
export function writeGeneration(cacheDir: string, states: Map<string, BeadState>, base: Omit<CacheMeta, 'gen' | 'shardLengths' | 'hotLength' | 'idsLength' | 'parentsLength' | 'count'>, previousGen: number): CacheMeta {
  const gen = previousGen + 1;
  const genDir = join(cacheDir, `g${gen}`);
  rmSync(genDir, { recursive: true, force: true });
  mkdirSync(join(genDir, 'shards'), { recursive: true });
  const shards: string[][] = Array.from({ length: SHARDS }, () => ['']);
  const hot: string[] = [];
  const ids: string[] = [''];
  const parents: string[] = [];
  const sorted = [...states.values()].sort((a, b) => (a.bead.id < b.bead.id ? -1 : a.bead.id > b.bead.id ? 1 : 0));
  for (const state of sorted) {
    const line = stateLine(state);
    shards[shardOf(state.bead.id)]!.push(line);
    ids.push(state.bead.id);
    if (isHot(state.bead)) hot.push(`${JSON.stringify(hotHeader(state.bead))}\t${JSON.stringify(canonicalBead(state.bead))}`);
    const p = parentsOf(state.bead);
    if (p.length) parents.push(`${state.bead.id}\t${p.join(',')}`);
  }
  const shardLengths = shards.map((lines, n) => {
    const text = lines.join('\n');
    writeFileSync(join(genDir, 'shards', String(n).padStart(3, '0')), text);
    return Buffer.byteLength(text);
  });
  const hotText = hot.length ? hot.join('\n') + '\n' : '';
  const idsText = ids.join('\n') + '\n';
  const parentsText = parents.length ? parents.join('\n') + '\n' : '';
  writeFileSync(join(genDir, 'hot.jsonl'), hotText);
  writeFileSync(join(genDir, 'ids.txt'), idsText);
  writeFileSync(join(genDir, 'parents.txt'), parentsText);
  const meta: CacheMeta = {
    ...base,
    gen,
    count: states.size,
    shardLengths,
    hotLength: Buffer.byteLength(hotText),
    idsLength: Buffer.byteLength(idsText),
    parentsLength: Buffer.byteLength(parentsText),
  };
  writeMeta(cacheDir, meta);
  for (const entry of readdirSync(cacheDir)) {
    if (/^g\d+$/.test(entry) && entry !== `g${gen}`) rmSync(join(cacheDir, entry), { recursive: true, force: true });
  }
  return meta;
}

export function writeMeta(cacheDir: string, meta: CacheMeta): void {
  writeAtomic(join(cacheDir, 'meta.json'), JSON.stringify(meta));
}

/** Applies changed bead states to the current generation in place (appends, plus a new hot file). */
export function applyChanges(reader: CacheReader, changed: Map<string, BeadState | null>, metaUpdate: Partial<CacheMeta>): CacheMeta {
  const meta: CacheMeta = { ...reader.meta, ...metaUpdate, shardLengths: [...reader.meta.shardLengths] };
  const genDir = reader.genDir;
  const byShard = new Map<number, string[]>();
  const newIds: string[] = [];
  const parentLines: string[] = [];
  const hot = reader.hotEntries();
  let hotChanged = false;
  for (const [id, state] of changed) {
    const existed = reader.hasId(id);
    const n = shardOf(id);
    const lines = byShard.get(n) ?? [];
    byShard.set(n, lines);
    if (state === null) {
      lines.push(JSON.stringify({ id, _gone: 1 }));
      if (hot.delete(id)) hotChanged = true;
      if (existed) parentLines.push(`${id}\t`);
      continue;
    }
    lines.push(stateLine(state));
    if (!existed) newIds.push(id);
    const parents = parentsOf(state.bead).join(',');
    const before = existed ? (reader.parentMap().get(id) ?? []).join(',') : '';
    if (parents !== before) parentLines.push(`${id}\t${parents}`);
    if (isHot(state.bead)) {
      hot.set(id, { header: hotHeader(state.bead), json: JSON.stringify(canonicalBead(state.bead)) });
      hotChanged = true;
    } else if (hot.delete(id)) hotChanged = true;
  }
  for (const [n, lines] of byShard) {
    const path = join(genDir, 'shards', String(n).padStart(3, '0'));
    meta.shardLengths[n] = appendAt(path, meta.shardLengths[n] ?? 0, lines.map((l) => '\n' + l).join(''));
  }
  if (newIds.length) meta.idsLength = appendAt(join(genDir, 'ids.txt'), meta.idsLength, newIds.join('\n') + '\n');
  if (parentLines.length) meta.parentsLength = appendAt(join(genDir, 'parents.txt'), meta.parentsLength, parentLines.join('\n') + '\n');
  if (hotChanged) {
    const parts: string[] = [];
    for (const e of hot.values()) parts.push(`${JSON.stringify(e.header)}\t${e.json}\n`);
    const text = parts.join('');
    writeAtomic(join(genDir, 'hot.jsonl'), text);
    meta.hotLength = Buffer.byteLength(text);
  }
  meta.count = reader.meta.count + newIds.length;
  writeMeta(reader.dir, meta);
  return meta;
}
