// The operation log file: reading lines from a byte offset, and appending under the store lock with fsync.
// The final line may lack its newline. If it parses and validates it is an operation like any other (a hand
// edit or `truncate -s -1` can leave one): readers fold it, and the next writer adds the newline before its
// own lines. If it does not, it is torn (a writer killed mid-write, never acknowledged): readers skip it and
// the next writer cuts it off, so nothing acknowledged is lost. No proper prefix of a JSON object is itself a
// JSON object, so a torn line never passes for a complete one.
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
  mtime: number;
  /** Byte offset just past the last complete line read. */
  end: number;
  /** Number of complete lines read. */
  lines: number;
  corrupt: CorruptLine[];
}

/** An unterminated final line that is not a complete operation: where it starts and how long it is. */
export interface TornTail {
  offset: number;
  bytes: number;
}

export interface LinesRead {
  /** Byte offset just past the last complete line. */
  end: number;
  /** Complete lines read. */
  lines: number;
  torn?: TornTail;
  /** The file's mtime when it was opened (0 when it does not exist). */
  mtime: number;
}

/** How much is read at a time (tests lower it to cross read boundaries often). */
export const logLimits = { chunk: 8 * 1024 * 1024 };

/**
 * Calls onLine for each complete line from `from` on (raw text, 1-based line number relative to `from`): every
 * line ended by a newline, and an unterminated final one that `complete` accepts (by default: one that parses
 * and validates as an operation). `from` may be just past such a final line: the newline a writer has added
 * since is skipped.
 */
export function forEachLine(path: string, from: number, onLine: (text: string, lineNo: number) => void, complete: (text: string) => boolean = isOpLine): LinesRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { end: from, lines: 0, mtime: 0 };
    throw err;
  }
  try {
    const { size, mtimeMs: mtime } = fstatSync(fd);
    // One buffer, reused: each read lands after the unfinished line the previous one left at its start (a
    // buffer a read would copy and fresh memory for every chunk cost a full cache build ~0.3 s at 125 MB).
    let buf = Buffer.allocUnsafe(Math.min(logLimits.chunk, Math.max(size - from, 1)));
    let carry = 0;
    let pos = from;
    let lineNo = 0;
    if (from > 0 && from < size && byteAt(fd, from - 1) !== 10 && byteAt(fd, from) === 10) pos++;
    let end = pos;
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
    if (carry === 0) return { end, lines: lineNo, mtime };
    const text = buf.toString('utf8', 0, carry);
    if (!complete(text)) return { end, lines: lineNo, torn: { offset: end, bytes: carry }, mtime };
    onLine(text, ++lineNo);
    return { end: end + carry, lines: lineNo, mtime };
  } finally {
    closeSync(fd);
  }
}

function byteAt(fd: number, at: number): number {
  const one = Buffer.alloc(1);
  return readSync(fd, one, 0, 1, at) === 1 ? one[0]! : -1;
}

/** Whether a line is a complete, valid operation. */
export function isOpLine(text: string): boolean {
  return typeof parseOpLine(text) !== 'string';
}

export function parseOpLine(text: string): Op | string {
  const value = parseLineJson(text);
  if (typeof value === 'string') return value;
  const problem = schemaProblem('validateOp', value);
  return problem ?? (value as Op);
}

/**
 * A line's JSON, not yet checked against the op schema (a string says why it is none). Only for a fold whose
 * lines are validated elsewhere (op-check.ts): anything else reads operations with parseOpLine.
 */
export function parseLineJson(text: string): unknown {
  // A byte order mark is not content: an editor may save the log with one, and a union merge carries it along.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.charCodeAt(0) !== 123 && text.trim() === '') return 'empty line'; // a line starting with '{' is not blank (and is not copied to find out)
  try {
    return JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
}

/** Reads and validates every complete line from byte `from`; `firstLine` numbers them for error reports. */
export function readOps(path: string, from = 0, firstLine = 1, displayPath = path): LogChunk {
  const ops: Op[] = [];
  const corrupt: CorruptLine[] = [];
  const { end, lines, mtime } = forEachLine(path, from, (text, n) => {
    const parsed = parseOpLine(text);
    if (typeof parsed === 'string') corrupt.push({ file: displayPath, line: firstLine + n - 1, message: parsed });
    else ops.push(parsed);
  });
  return { ops, end, lines, corrupt, mtime };
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

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/**
 * Appends lines atomically enough for one writer at a time (the caller holds the lock) and fsyncs. An
 * unterminated final line is ended with a newline when `complete` accepts it, else cut off.
 */
export function appendLines(path: string, lines: string[], durable = true, complete: (text: string) => boolean = isOpLine): void {
  const fd = openSync(path, 'a+');
  try {
    const final = unterminatedLine(fd);
    let lead = '';
    if (final && complete(final.text)) lead = '\n';
    else if (final) ftruncateSync(fd, final.offset);
    const before = fstatSync(fd).size;
    const buf = Buffer.from(lead + lines.map((l) => l + '\n').join(''), 'utf8');
    try {
      for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done, before + done);
      if (durable) fsyncSync(fd);
    } catch (err) {
      // A write that failed (a full disk) is reported as failed: none of its lines may stay behind.
      try {
        ftruncateSync(fd, before);
      } catch {
        /* the original error says what went wrong */
      }
      throw err;
    }
  } finally {
    closeSync(fd);
  }
}

/** The bytes after the last newline, if the file does not end with one. */
function unterminatedLine(fd: number): { offset: number; text: string } | null {
  const size = fstatSync(fd).size;
  if (size === 0 || byteAt(fd, size - 1) === 10) return null;
  const window = 1 << 20;
  for (let scanned = 0; scanned < size; scanned += window) {
    const len = Math.min(window, size - scanned);
    const buf = Buffer.allocUnsafe(len);
    readSync(fd, buf, 0, len, size - scanned - len);
    const nl = buf.lastIndexOf(10);
    if (nl >= 0) {
      const offset = size - scanned - len + nl + 1;
      return { offset, text: readTail(fd, size, size - offset).toString('utf8') };
    }
  }
  return { offset: 0, text: readTail(fd, size, size).toString('utf8') };
}

/** Whether a file is empty or ends with a newline: nothing for a writer to repair (one byte read, nothing written). */
export function endsWithNewline(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    return size === 0 || byteAt(fd, size - 1) === 10;
  } finally {
    closeSync(fd);
  }
}

/** The log's final line if it lacks its newline and is not a complete operation (what bd doctor reports). */
export function tornTail(path: string): TornTail | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const final = unterminatedLine(fd);
    return final && !isOpLine(final.text) ? { offset: final.offset, bytes: Buffer.byteLength(final.text) } : null;
  } finally {
    closeSync(fd);
  }
}

/** The `length` bytes before byte `end` of a file (given by path or open descriptor). */
export function readTail(file: string | number, end: number, length: number): Buffer {
  const start = Math.max(0, end - length);
  const buf = Buffer.alloc(end - start);
  if (buf.length === 0) return buf;
  const fd = typeof file === 'number' ? file : openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    if (typeof file !== 'number') closeSync(fd);
  }
  return buf;
}
