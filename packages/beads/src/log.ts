// The operation log file: reading complete lines from a byte offset, and appending under the store lock
// with fsync. A torn final line (a writer killed mid-write) is skipped by readers and cut off by the next
// writer; it was never acknowledged, so nothing acknowledged is lost.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { schemaProblem } from './validate.js';
import type { Op } from './types.js';

export interface CorruptLine {
  file: string;
  line: number;
  message: string;
}

export interface LogChunk {
  ops: Op[];
  /** Byte offset just past the last complete line read. */
  end: number;
  /** Number of complete lines read. */
  lines: number;
  corrupt: CorruptLine[];
}

/** How much is read at a time (tests lower it to cross read boundaries often). */
export const logLimits = { chunk: 8 * 1024 * 1024 };

/** Calls onLine for each complete line from `from` on (raw text, 1-based line number relative to `from`). */
export function forEachLine(path: string, from: number, onLine: (text: string, lineNo: number) => void): { end: number; lines: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { end: from, lines: 0 };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    // One buffer, reused: each read lands after the unfinished line the previous one left at its start (a
    // buffer a read would copy and fresh memory for every chunk cost a full cache build ~0.3 s at 125 MB).
    let buf = Buffer.allocUnsafe(Math.min(logLimits.chunk, Math.max(size - from, 1)));
    let carry = 0;
    let pos = from;
    let lineNo = 0;
    let end = from;
    while (pos < size) {
      if (carry === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const n = readSync(fd, buf, carry, Math.min(buf.length - carry, size - pos), pos);
      if (n <= 0) break;
      pos += n;
      const data = buf.subarray(0, carry + n);
      let start = 0;
      for (;;) {
        const nl = data.indexOf(10, start);
        if (nl < 0) break;
        lineNo++;
        onLine(data.toString('utf8', start, nl), lineNo);
        end += nl - start + 1;
        start = nl + 1;
      }
      carry = data.length - start;
      if (carry) buf.copy(buf, 0, start, data.length);
    }
    return { end, lines: lineNo };
  } finally {
    closeSync(fd);
  }
}

export function parseOpLine(text: string): Op | string {
  if (text.trim() === '') return 'empty line';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  const problem = schemaProblem('validateOp', value);
  return problem ?? (value as Op);
}

/** Reads and validates every complete line from byte `from`; `firstLine` numbers them for error reports. */
export function readOps(path: string, from = 0, firstLine = 1, displayPath = path): LogChunk {
  const ops: Op[] = [];
  const corrupt: CorruptLine[] = [];
  const { end, lines } = forEachLine(path, from, (text, n) => {
    const parsed = parseOpLine(text);
    if (typeof parsed === 'string') corrupt.push({ file: displayPath, line: firstLine + n - 1, message: parsed });
    else ops.push(parsed);
  });
  return { ops, end, lines, corrupt };
}

export function groupByLogId(ops: Op[]): Map<string, Op[]> {
  const byLogId = new Map<string, Op[]>();
  for (const op of ops) {
    const list = byLogId.get(op.bead);
    if (list) list.push(op);
    else byLogId.set(op.bead, [op]);
  }
  return byLogId;
}

/** Every operation of the given log ids, from the whole log (parsing only the lines that name them). */
export function opsOf(logPath: string, logIds: Set<string>): Map<string, Op[]> {
  const all: Op[] = [];
  forEachLine(logPath, 0, (text) => {
    const q = text.indexOf('"bead":"');
    if (q >= 0 && !logIds.has(text.slice(q + 8, text.indexOf('"', q + 8)))) return;
    const parsed = parseOpLine(text);
    if (typeof parsed !== 'string' && logIds.has(parsed.bead)) all.push(parsed);
  });
  return groupByLogId(all);
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Appends lines atomically enough for one writer at a time (the caller holds the lock) and fsyncs. */
export function appendLines(path: string, lines: string[], durable = true): void {
  const fd = openSync(path, 'a+');
  try {
    repairTornTail(fd);
    writeSync(fd, lines.map((l) => l + '\n').join(''));
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Cuts an unterminated final line left by a killed writer. */
function repairTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 10) return;
  const window = Math.min(size, 1 << 20);
  let scanned = 0;
  while (scanned < size) {
    const len = Math.min(window, size - scanned);
    const buf = Buffer.allocUnsafe(len);
    readSync(fd, buf, 0, len, size - scanned - len);
    const nl = buf.lastIndexOf(10);
    if (nl >= 0) {
      ftruncateSync(fd, size - scanned - len + nl + 1);
      return;
    }
    scanned += len;
  }
  ftruncateSync(fd, 0);
}

export function readTail(path: string, end: number, length: number): Buffer {
  const start = Math.max(0, end - length);
  const buf = Buffer.alloc(end - start);
  if (buf.length === 0) return buf;
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  return buf;
}
