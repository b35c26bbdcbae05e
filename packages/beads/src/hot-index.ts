// The hot index: every bead that is neither closed nor deleted, in two append-only files.
//   hot.idx   one tab-separated header a line: what `ready` needs and where the body is; a line holding
//             only an id removes that bead; the last line for an id wins
//   hot.body  the beads' JSON (with the fold's bookkeeping under `_s`), concatenated
// `ready` parses only the headers (about 60 bytes a bead) and the bodies of the beads it prints.
import { join } from 'node:path';
import type { BeadState } from './fold.js';
import type { Bead } from './types.js';
import { canonicalBead } from './record.js';
import { BLOCKING_DEP_TYPES } from './types.js';
import { readPrefix, readPrefixBuffer } from './cache-files.js';

export interface HotHeader {
  id: string;
  status: string;
  priority: number;
  type: string;
  /** created_at in ms since the epoch, for ordering by real time whatever the timestamp's zone. */
  created: number;
  defer: string;
  /** Targets of blocks/waits-for dependencies. */
  blockers: string[];
  /** Every bead above this one by parent-child, at any depth. */
  ancestors: string[];
  offset: number;
  length: number;
}

export function isHot(bead: Bead): boolean {
  return bead.status !== 'closed' && bead.status !== 'tombstone';
}

export function hotHeader(bead: Bead, ancestors: string[]): HotHeader {
  const blockers = (bead.dependencies ?? []).filter((d) => BLOCKING_DEP_TYPES.has(d.type)).map((d) => d.depends_on_id);
  return { id: bead.id, status: bead.status, priority: bead.priority, type: bead.issue_type, created: Date.parse(bead.created_at) || 0, defer: bead.defer_until ?? '', blockers, ancestors, offset: 0, length: 0 };
}

// Ids, statuses, types and timestamps never hold tabs, commas or newlines (the schemas forbid them).
function headerLine(h: HotHeader): string {
  return `${h.id}\t${h.status}\t${h.priority}\t${h.type}\t${h.created}\t${h.defer}\t${h.blockers.join(',')}\t${h.ancestors.join(',')}\t${h.offset}\t${h.length}`;
}

const list = (s: string | undefined): string[] => (s ? s.split(',') : []);

function parseHeaderLine(line: string): HotHeader | string {
  const f = line.split('\t');
  if (f.length < 10) return f[0]!;
  return { id: f[0]!, status: f[1]!, priority: Number(f[2]), type: f[3]!, created: Number(f[4]), defer: f[5]!, blockers: list(f[6]), ancestors: list(f[7]), offset: Number(f[8]), length: Number(f[9]) };
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
    e.header.offset = offset;
    e.header.length = Buffer.byteLength(e.body);
    offset += e.header.length + 1;
    idx.push(headerLine(e.header));
    body.push(e.body);
  }
  return { idx: idx.length ? idx.join('\n') + '\n' : '', body: body.length ? body.join('\n') + '\n' : '' };
}

/** Lines to append for changed beads, their bodies starting at byte `bodyEnd` of hot.body. */
export function appendHotText(entries: { id: string; header: HotHeader | null; body?: string }[], bodyEnd: number): { idx: string; body: string } {
  const idx: string[] = [];
  const body: string[] = [];
  for (const e of entries) {
    if (!e.header) {
      idx.push(e.id);
      continue;
    }
    e.header.offset = bodyEnd;
    e.header.length = Buffer.byteLength(e.body!);
    bodyEnd += e.header.length + 1;
    idx.push(headerLine(e.header));
    body.push(e.body!);
  }
  return { idx: idx.length ? idx.join('\n') + '\n' : '', body: body.length ? body.join('\n') + '\n' : '' };
}

export class HotIndex {
  private bodyBuffer?: Buffer;
  private parsed?: Map<string, HotHeader>;

  constructor(
    private readonly idxPath: string,
    private idxLength: number,
    private readonly bodyPath: string,
    private bodyLength: number,
  ) {}

  /** Opens the index of a generation; the headers are parsed on first use, bodies read on demand. */
  static open(genDir: string, idxLength: number, bodyLength: number): HotIndex {
    return new HotIndex(join(genDir, 'hot.idx'), idxLength, join(genDir, 'hot.body'), bodyLength);
  }

  get isParsed(): boolean {
    return this.parsed !== undefined;
  }

  get headers(): Map<string, HotHeader> {
    if (this.parsed) return this.parsed;
    const text = readPrefix(this.idxPath, this.idxLength);
    const map = new Map<string, HotHeader>();
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      if (nl > start) {
        const h = parseHeaderLine(text.slice(start, nl));
        if (typeof h === 'string') map.delete(h);
        else map.set(h.id, h);
      }
      start = nl + 1;
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
    if (many && !this.bodyBuffer) this.bodyBuffer = readPrefixBuffer(this.bodyPath, this.bodyLength);
    const { offset, length } = header;
    if (this.bodyBuffer) return this.bodyBuffer.toString('utf8', offset, offset + length);
    return readPrefixBuffer(this.bodyPath, offset + length, offset).toString('utf8');
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
    return [...this.headers.values()].map((header) => ({ header: { ...header }, body: this.body(header, true) }));
  }
}
