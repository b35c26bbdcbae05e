// The hot index: every bead that is neither closed nor deleted, in two append-only files.
//   hot.idx   one JSON header a line (what `ready` needs, the fold's bookkeeping, and where the body is);
//             a bare [id] line removes the bead; the last line for an id wins
//   hot.body  the beads' JSON, concatenated; a header points at its bytes
// `ready` reads only the headers (a few hundred bytes a bead) and the bodies of the beads it prints.
import { join } from 'node:path';
import type { BeadState } from './fold.js';
import type { Bead } from './types.js';
import { canonicalBead, parentsOf } from './record.js';
import { BLOCKING_DEP_TYPES } from './types.js';
import { readPrefix, readPrefixBuffer } from './cache-files.js';

/**
 * [id, status, priority, issue_type, created_at (ms), defer_until, parents, blockers, origin, log id, lc, op,
 * ancestors, body offset, body length]. `ancestors` is every bead above by parent-child, at any depth.
 */
export type HotHeader = [string, string, number, string, number, string, string[], string[], string, string, number, string, string[], number, number];

export const H = { id: 0, status: 1, priority: 2, type: 3, created: 4, defer: 5, parents: 6, blockers: 7, origin: 8, logId: 9, lc: 10, op: 11, ancestors: 12, offset: 13, length: 14 } as const;

export function isHot(bead: Bead): boolean {
  return bead.status !== 'closed' && bead.status !== 'tombstone';
}

/** A header for `state` whose body will be written at `offset` (filled in by the writer). */
export function hotHeader(state: BeadState, ancestors: string[]): HotHeader {
  const bead = state.bead;
  const blockers = (bead.dependencies ?? []).filter((d) => BLOCKING_DEP_TYPES.has(d.type)).map((d) => d.depends_on_id);
  return [bead.id, bead.status, bead.priority, bead.issue_type, Date.parse(bead.created_at) || 0, bead.defer_until ?? '', parentsOf(bead), blockers, state.origin, state.logId, state.lc, state.op, ancestors, 0, 0];
}

/** Every ancestor of `id` by parent-child (cycles cut), given each bead's direct parents. */
export function ancestorsOf(id: string, parentsOfId: (id: string) => string[] | undefined, memo = new Map<string, string[]>()): string[] {
  const known = memo.get(id);
  if (known) return known;
  memo.set(id, []); // cuts cycles
  const out = new Set<string>();
  for (const p of parentsOfId(id) ?? []) {
    if (p === id) continue;
    out.add(p);
    for (const a of ancestorsOf(p, parentsOfId, memo)) if (a !== id) out.add(a);
  }
  const list = [...out];
  memo.set(id, list);
  return list;
}

/** Builds the two files' text for a set of hot entries (a rebuild or a compaction). */
export function writeHotText(entries: Iterable<{ header: HotHeader; json: string }>): { idx: string; body: string } {
  const idx: string[] = [];
  const body: string[] = [];
  let offset = 0;
  for (const { header, json } of entries) {
    const len = Buffer.byteLength(json);
    header[H.offset] = offset;
    header[H.length] = len;
    offset += len + 1;
    idx.push(JSON.stringify(header));
    body.push(json);
  }
  return { idx: idx.length ? idx.join('\n') + '\n' : '', body: body.length ? body.join('\n') + '\n' : '' };
}

export class HotIndex {
  private bodyBuffer?: Buffer;

  constructor(
    readonly headers: Map<string, HotHeader>,
    private readonly bodyPath: string,
    private bodyLength: number,
  ) {}

  static load(genDir: string, idxLength: number, bodyLength: number): HotIndex {
    const text = readPrefix(join(genDir, 'hot.idx'), idxLength);
    const map = new Map<string, HotHeader>();
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      if (nl > start) {
        const h = JSON.parse(text.slice(start, nl)) as HotHeader | [string];
        if (h.length === 1) map.delete(h[0]);
        else map.set(h[0], h as HotHeader);
      }
      start = nl + 1;
    }
    return new HotIndex(map, join(genDir, 'hot.body'), bodyLength);
  }

  get size(): number {
    return this.headers.size;
  }

  has(id: string): boolean {
    return this.headers.has(id);
  }

  get(id: string): HotHeader | undefined {
    return this.headers.get(id);
  }

  /** The bead's JSON text. Reads the whole body file once when many beads are asked for. */
  json(header: HotHeader, many = false): string {
    if (many && !this.bodyBuffer) this.bodyBuffer = readPrefixBuffer(this.bodyPath, this.bodyLength);
    const [offset, length] = [header[H.offset], header[H.length]];
    if (this.bodyBuffer) return this.bodyBuffer.toString('utf8', offset, offset + length);
    return readPrefixBuffer(this.bodyPath, offset + length, offset).toString('utf8');
  }

  bead(header: HotHeader, many = false): Bead {
    return JSON.parse(this.json(header, many)) as Bead;
  }

  state(id: string): BeadState | undefined {
    const h = this.headers.get(id);
    if (!h) return undefined;
    return { bead: this.bead(h), origin: h[H.origin], logId: h[H.logId], lc: h[H.lc], op: h[H.op] };
  }

  /** Records new entries written by the cache writer at the body file's end. */
  noteAppended(header: HotHeader | null, id: string, bodyLength: number): void {
    if (header) this.headers.set(id, header);
    else this.headers.delete(id);
    this.bodyLength = bodyLength;
    this.bodyBuffer = undefined;
  }

  entries(): { header: HotHeader; json: string }[] {
    return [...this.headers.values()].map((header) => ({ header: [...header] as HotHeader, json: this.json(header, true) }));
  }
}

export function canonicalJson(state: BeadState): string {
  return JSON.stringify(canonicalBead(state.bead));
}
