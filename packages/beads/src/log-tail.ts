// Following a store's log as it grows, for readers that want operations rather than states (gt feed, the
// dashboard's activity): each read returns only what was appended since the one before, reading only the new
// bytes of grown files and new files, with the comparison the cache's catch-up makes (log-files.ts compareLog).
// Nothing changed costs a directory listing and one stat per file. A file rewritten or removed (a rebase, a
// checkout, bd doctor --fix) cannot be followed: the whole log is read again and the read says so (`reset`),
// so that the caller can tell the operations it already had by their op_id.
import { join } from 'node:path';
import { readOps, type CorruptLine } from './log.js';
import { compareLog, logFileNames, markOf, type FileMark } from './log-files.js';
import type { Op } from './types.js';

export interface TailRead {
  /** The operations read, in file order (not the fold's order: sort with compareOps). */
  ops: Op[];
  /** The log was read again from the start: ops holds every operation, those seen before too. */
  reset: boolean;
  /** Lines that are not operations (skipped here; bd doctor names them). */
  corrupt: CorruptLine[];
}

/** How much a tail has read, in all: what shows that a read costs only what was appended. */
export interface TailStats {
  bytes: number;
  ops: number;
  resets: number;
}

export class LogTail {
  private marks: FileMark[] | null = null;
  readonly stats: TailStats = { bytes: 0, ops: 0, resets: 0 };

  /** `dir`: the store's directory (`.beads`). The first read returns the whole log. */
  constructor(readonly dir: string) {}

  read(): TailRead {
    if (this.marks) {
      const cmp = compareLog(this.dir, this.marks);
      if (cmp.state === 'current') {
        this.settle();
        return { ops: [], reset: false, corrupt: [] };
      }
      if (cmp.state === 'grown') {
        const byName = new Map(this.marks.map((m) => [m.name, m]));
        const out: TailRead = { ops: [], reset: false, corrupt: [] };
        for (const g of cmp.grown) byName.set(g.name, this.readFile(g.name, g.from, g.firstLine, out));
        this.marks = cmp.names.map((n) => byName.get(n)!);
        return out;
      }
      this.stats.resets++;
    }
    const out: TailRead = { ops: [], reset: this.marks !== null, corrupt: [] };
    this.marks = logFileNames(this.dir).map((name) => this.readFile(name, 0, 1, out));
    return out;
  }

  private readFile(name: string, from: number, firstLine: number, out: TailRead): FileMark {
    const chunk = readOps(join(this.dir, name), from, firstLine, name);
    for (const op of chunk.ops) out.ops.push(op);
    for (const c of chunk.corrupt) out.corrupt.push(c);
    this.stats.bytes += chunk.end - from;
    this.stats.ops += chunk.ops.length;
    return markOf(this.dir, name, chunk.end, firstLine - 1 + chunk.lines, chunk.mtime);
  }

  /**
   * A mark made while its file was fresh holds no mtime (a write within the clock's tick could keep it), so each
   * comparison reads its tail; once the file has aged, its mark takes the mtime and the next polls are stats.
   */
  private settle(): void {
    this.marks = this.marks!.map((m) => (m.mtime === 0 ? markOf(this.dir, m.name, m.size, m.lines) : m));
  }
}
