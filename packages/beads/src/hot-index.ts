// The hot index: every bead that is neither closed nor deleted, in two append-only files (a rewrite writes
// a new version of both, hot-<V+1>.*, never over the ones readers may have open).
//   hot-<V>.idx   one header a line (a JSON array): what `ready` needs and where the body is; a line
//                 holding only [id] removes that bead; the last line for an id wins
//   hot-<V>.body  the beads' JSON (with the fold's bookkeeping under `_s`), concatenated
// `ready` parses only the headers (about 60 bytes a bead) and the bodies of the beads it prints.
import { join } from 'node:path';
import type { BeadState } from './fold.js';
import type { Bead } from './types.js';
import { canonicalBead } from './record.js';
import { BLOCKING_DEP_TYPES } from './types.js';
import { diskFiles, type CacheFiles } from './cache-files.js';

/**
 * One header: [id, status, priority, issue_type, created_at in ms (for ordering by real time whatever the
 * timestamp's zone), defer_until, blockers, ancestors, body offset, body length, lease, blockers above].
 * Blockers (targets of blocks/waits-for) and ancestors (every bead above by parent-child, at any depth) are
 * comma-separated: a tuple of scalars parses in one JSON.parse for the whole file, far cheaper than objects or
 * split strings on a CLI's cold start. Blockers above are the blockers of every ancestor, closed ones
 * included, as comma-separated `ancestor blocker` pairs: a bead is blocked through an ancestor whatever that
 * ancestor's status, so `ready` decides from the header and which blockers are hot, never looking a closed
 * bead up.
 */
export type HotHeader = [string, string, number, string, number, string, string, string, number, number, number, string];

/** Field positions; `lease` is when a claim's lease runs out, in ms (0: no lease). */
export const H = { id: 0, status: 1, priority: 2, type: 3, created: 4, defer: 5, blockers: 6, ancestors: 7, offset: 8, length: 9, lease: 10, up: 11 } as const;

/** Priority first, then oldest first (by creation time in ms), then id: the order ready and list answer in. */
export function headerOrder(a: HotHeader, b: HotHeader): number {
  return a[H.priority] - b[H.priority] || a[H.created] - b[H.created] || (a[H.id] < b[H.id] ? -1 : 1);
}

export const blockersOf = (h: HotHeader): string[] => (h[H.blockers] ? h[H.blockers].split(',') : []);
export const ancestorsIn = (h: HotHeader): string[] => (h[H.ancestors] ? h[H.ancestors].split(',') : []);

/**
 * What a bead passes down to its descendants: the targets of its blocks/waits-for, whatever its status. A
 * deleted bead passes nothing (Beads removes a deleted issue's dependencies).
 */
export function blockersOfBead(bead: Bead | undefined): string[] {
  if (!bead || bead.status === 'tombstone') return [];
  return (bead.dependencies ?? []).filter((d) => BLOCKING_DEP_TYPES.has(d.type) && d.depends_on_id !== bead.id).map((d) => d.depends_on_id);
}

/** The `blockers above` field for a list of ancestors, given each one's blockers. */
export function blockersAbove(ancestors: string[], blockersOfId: (id: string) => string[]): string {
  const pairs: string[] = [];
  for (const a of ancestors) for (const b of blockersOfId(a)) pairs.push(`${a} ${b}`);
  return pairs.join(',');
}

export function isHot(bead: Bead): boolean {
  return bead.status !== 'closed' && bead.status !== 'tombstone';
}

// Ids never hold commas or spaces (the schema forbids them), so lists of ids join safely.
export function hotHeader(bead: Bead, ancestors: string[], above = ''): HotHeader {
  const blockers = (bead.dependencies ?? []).filter((d) => BLOCKING_DEP_TYPES.has(d.type)).map((d) => d.depends_on_id);
  const lease = typeof bead.lease_expires_at === 'string' ? Date.parse(bead.lease_expires_at) || 0 : 0;
  return [bead.id, bead.status, bead.priority, bead.issue_type, Date.parse(bead.created_at) || 0, bead.defer_until ?? '', blockers.join(','), ancestors.join(','), 0, 0, lease, above];
}

/** The body of a bead: its canonical JSON with the fold's bookkeeping. */
export function bodyJson(state: BeadState): string {
  const rec = canonicalBead(state.bead) as Record<string, unknown>;
  rec._s = { o: state.origin, l: state.logId, c: state.lc, p: state.op };
  return JSON.stringify(rec);
}

function stateFromBody(json: string): BeadState {
  const rec = JSON.parse(json) as Record<string, unknown>;
  const s = rec._s as { o: string; l: string; c: number; p: string };
  delete rec._s;
  return { bead: rec as Bead, origin: s.o, logId: s.l, lc: s.c, op: s.p };
}

/** Every ancestor of `id` by parent-child (cycles cut). `known` may answer for a bead whose list is already at hand. */
export function ancestorsOf(id: string, parentsOfId: (id: string) => string[] | undefined, memo = new Map<string, string[]>(), known?: (id: string) => string[] | undefined): string[] {
  const cached = memo.get(id);
  if (cached) return cached;
  memo.set(id, []); // cuts cycles
  const out = new Set<string>();
  for (const p of parentsOfId(id) ?? []) {
    if (p === id) continue;
    out.add(p);
    for (const a of known?.(p) ?? ancestorsOf(p, parentsOfId, memo, known)) if (a !== id) out.add(a);
  }
  const result = [...out];
  memo.set(id, result);
  return result;
}

/** Both files' text for a set of hot beads (a rebuild or a compaction); fills in the body offsets. */
export function writeHotText(entries: Iterable<{ header: HotHeader; body: string }>): { idx: string; body: string } {
  const idx: string[] = [];
  const body: string[] = [];
  let offset = 0;
  for (const e of entries) {
    e.header[H.offset] = offset;
    e.header[H.length] = Buffer.byteLength(e.body);
    offset += e.header[H.length] + 1;
    idx.push(JSON.stringify(e.header));
    body.push(e.body);
  }
  return { idx: idx.length ? idx.join('\n') + '\n' : '', body: body.length ? body.join('\n') + '\n' : '' };
}

/** Lines to append for changed beads, their bodies starting at byte `bodyEnd` of hot.body (a header given without a body keeps the one it points at). */
export function appendHotText(entries: { id: string; header: HotHeader | null; body?: string }[], bodyEnd: number): { idx: string; body: string } {
  const idx: string[] = [];
  const body: string[] = [];
  for (const e of entries) {
    if (!e.header) {
      idx.push(JSON.stringify([e.id]));
      continue;
    }
    if (e.body !== undefined) {
      e.header[H.offset] = bodyEnd;
      e.header[H.length] = Buffer.byteLength(e.body);
      bodyEnd += e.header[H.length] + 1;
      body.push(e.body);
    }
    idx.push(JSON.stringify(e.header));
  }
  return { idx: idx.length ? idx.join('\n') + '\n' : '', body: body.length ? body.join('\n') + '\n' : '' };
}

export function hotPaths(genDir: string, version: number): { idx: string; body: string } {
  return { idx: join(genDir, `hot-${version}.idx`), body: join(genDir, `hot-${version}.body`) };
}

export class HotIndex {
  private bodyBuffer?: Buffer;
  private parsed?: Map<string, HotHeader>;

  constructor(
    private readonly idxPath: string,
    private idxLength: number,
    private readonly bodyPath: string,
    private bodyLength: number,
    private readonly files: CacheFiles = diskFiles,
  ) {}

  /** Opens the index of a generation; the headers are parsed on first use, bodies read on demand. */
  static open(genDir: string, version: number, idxLength: number, bodyLength: number, files: CacheFiles = diskFiles): HotIndex {
    const paths = hotPaths(genDir, version);
    return new HotIndex(paths.idx, idxLength, paths.body, bodyLength, files);
  }

  get isParsed(): boolean {
    return this.parsed !== undefined;
  }

  get headers(): Map<string, HotHeader> {
    if (this.parsed) return this.parsed;
    const text = this.files.read(this.idxPath, this.idxLength).toString('utf8');
    const map = new Map<string, HotHeader>();
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    const rows = body ? (JSON.parse(`[${body.replaceAll('\n', ',')}]`) as (HotHeader | [string])[]) : [];
    for (const h of rows) {
      if (h.length === 1) map.delete(h[0]);
      else map.set(h[0], h as HotHeader);
    }
    this.parsed = map;
    return map;
  }

  has(id: string): boolean {
    return this.headers.has(id);
  }

  get(id: string): HotHeader | undefined {
    return this.headers.get(id);
  }

  /** A bead's body text. Reads the whole body file once when many beads are asked for. */
  body(header: HotHeader, many = false): string {
    if (many && !this.bodyBuffer) this.bodyBuffer = this.files.read(this.bodyPath, this.bodyLength);
    const offset = header[H.offset];
    const length = header[H.length];
    if (this.bodyBuffer) return this.bodyBuffer.toString('utf8', offset, offset + length);
    return this.files.read(this.bodyPath, offset + length, offset).toString('utf8');
  }

  bead(header: HotHeader, many = false): Bead {
    return stateFromBody(this.body(header, many)).bead;
  }

  state(id: string, many = false): BeadState | undefined {
    const h = this.headers.get(id);
    return h ? stateFromBody(this.body(h, many)) : undefined;
  }

  /** Records lines the cache writer appended, so that parsed headers stay current. */
  noteAppended(entries: { id: string; header: HotHeader | null }[], idxLength: number, bodyLength: number): void {
    const map = this.headers;
    for (const e of entries) {
      if (e.header) map.set(e.id, e.header);
      else map.delete(e.id);
    }
    this.idxLength = idxLength;
    this.bodyLength = bodyLength;
    this.bodyBuffer = undefined;
  }

  /** Every live entry with its body, for a rewrite. */
  entries(): { header: HotHeader; body: string }[] {
    return [...this.headers.values()].map((header) => ({ header: [...header] as HotHeader, body: this.body(header, true) }));
  }
}
