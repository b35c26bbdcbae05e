// The files that make up a store's log. A single-file store (format 1) has one, `.beads/ops.jsonl`. A
// segmented store (format 2) has the same file if it was migrated (never written again: the first sealed
// segment) and segments under `.beads/log/`, named `<seq>-<writer>.jsonl`: each clone appends only to its own
// open segment, named in its gitignored `.beads/writer` file, and starts a new one once that has reached the
// store's `segment_bytes`. A sealed segment is never written again, so git stores it once, and two clones
// never write the same file, so their histories merge on trees without any merge driver.
//
// The log is the union of the operations of every file; the fold does not depend on their order (stamps order
// operations), but reading them oldest first keeps most beads on the fold's fast path.
import { hostname } from 'node:os';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { randomToken } from './ids.js';
import { appendLines, fileSize, forEachLine, groupByLogId, parseOpLine, readTail } from './log.js';
import type { Op } from './types.js';

export const LOG_FILE = 'ops.jsonl';
export const SEGMENTS_DIR = 'log';
export const WRITER_FILE = 'writer';
/** A segment is sealed once it holds this many bytes (a store may set `segment_bytes` in its config). */
export const DEFAULT_SEGMENT_BYTES = 512 * 1024;
/** How many bytes before a file's covered end are hashed to tell that it still starts as it did. */
export const TAIL_BYTES = 256;

// Six digits at least: a store past segment 999999 goes on to 1000000 (sorted by number, not as text).
const SEGMENT_NAME = /^(\d{6,})-([a-z0-9]{8})\.jsonl$/;

const sequence = (name: string): number => Number(SEGMENT_NAME.exec(name)?.[1] ?? 0);

/** What a cache knows of one file of the log: how far it has read it, and how to tell the file is the same one. */
export interface FileMark {
  /** Relative to the store's directory: `ops.jsonl` or `log/<segment>`. */
  name: string;
  /** Byte offset just past the last complete line read. */
  size: number;
  lines: number;
  /** Hash of the TAIL_BYTES before `size`. */
  tail: string;
  /**
   * The file's mtime when it was read, if that was long enough before (else 0): the same size and mtime is the
   * same file, not read again. A file changed within the file system's clock tick of the read could keep its
   * mtime, so a recent one is always checked by its tail (as git treats racy index entries).
   */
  mtime: number;
}

export function tailHash(buf: Buffer): string {
  return createHash('sha1').update(buf).digest('hex');
}

/** Whether a file name under log/ is a segment's (`<seq>-<writer>.jsonl`): only those are the log. */
export function isSegmentName(name: string): boolean {
  return SEGMENT_NAME.test(name);
}

/**
 * Entries under log/ that are not the log: a name that is not a segment's (notes, an editor's backup), or a
 * symlink under a segment's name (it could point anywhere: a remote may commit one, and its target's lines would
 * be reported, quarantined and synced as corrupt lines). Never read nor synced.
 */
export function strayLogFiles(dir: string): string[] {
  try {
    return readdirSync(join(dir, SEGMENTS_DIR), { withFileTypes: true }).filter((e) => e.isSymbolicLink() || !SEGMENT_NAME.test(e.name)).map((e) => `${SEGMENTS_DIR}/${e.name}`).sort();
  } catch {
    return [];
  }
}

/** Whether the store's ops.jsonl is a symlink: never read nor written through (it could point anywhere, as a segment's could). */
export function logFileIsLink(dir: string): boolean {
  try {
    return lstatSync(join(dir, LOG_FILE)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The log's files by name, oldest first: ops.jsonl (if present, not a symlink), then the segments (no symlink) by sequence. */
export function logFileNames(dir: string): string[] {
  const names = existsSync(join(dir, LOG_FILE)) && !logFileIsLink(dir) ? [LOG_FILE] : [];
  let entries: string[];
  try {
    // never a symlink (see strayLogFiles); anything else under a segment's name is read, and fails loudly if it cannot be
    entries = readdirSync(join(dir, SEGMENTS_DIR), { withFileTypes: true }).filter((e) => !e.isSymbolicLink()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return names;
    throw err;
  }
  const segments = entries.filter((e) => SEGMENT_NAME.test(e)).sort((a, b) => sequence(a) - sequence(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const e of segments) names.push(`${SEGMENTS_DIR}/${e}`);
  return names;
}

/** How the log on disk compares with what a cache covers. */
export interface LogComparison {
  /** current: nothing complete appended; grown: only appended to (and new files); broken: anything else. */
  state: 'current' | 'grown' | 'broken';
  /** Files with bytes past their mark (new files from 0), for a catch-up. */
  grown: { name: string; from: number; firstLine: number }[];
  /** The log's files as compared (a file that appears later is the next comparison's). */
  names: string[];
}

/** A log a cache cannot catch up with: rebuild. */
export const BROKEN_LOG: Readonly<LogComparison> = Object.freeze({ state: 'broken', grown: [], names: [] });

/** Compares each file of the log with its mark; unchanged files cost one stat. */
export function compareLog(dir: string, marks: FileMark[]): LogComparison {
  const names = logFileNames(dir);
  // A mark that is not one (a meta written with a hole in its list) is a cache to rebuild, not a crash of every read.
  if (marks.some((m) => typeof m?.name !== 'string' || !names.includes(m.name))) return BROKEN_LOG;
  const byName = new Map(marks.map((m) => [m.name, m]));
  const grown: LogComparison['grown'] = [];
  for (const name of names) {
    const path = join(dir, name);
    const mark = byName.get(name);
    let st: { size: number; mtimeMs: number };
    try {
      st = statSync(path);
    } catch {
      return BROKEN_LOG;
    }
    if (!mark) {
      grown.push({ name, from: 0, firstLine: 1 }); // even empty: the cache must learn its name
      continue;
    }
    if (st.size < mark.size) return BROKEN_LOG;
    if (st.size === mark.size && st.mtimeMs === mark.mtime) continue;
    const tail = readTail(path, mark.size, TAIL_BYTES);
    if (tailHash(tail) !== mark.tail) return BROKEN_LOG;
    if (st.size === mark.size) continue;
    // What follows an unterminated covered line must be the newline a writer adds, else that line grew.
    if (tail.length && tail[tail.length - 1] !== 10 && readTail(path, mark.size + 1, 1)[0] !== 10) return BROKEN_LOG;
    if (!completeGrowth(path, mark.size, st.size)) continue; // only a torn line since: nothing to read
    grown.push({ name, from: mark.size, firstLine: mark.lines + 1 });
  }
  return { state: grown.length ? 'grown' : 'current', grown, names };
}

/**
 * Whether bytes appended past `from` hold anything complete (a torn final line alone does not count): a newline,
 * found by reading from `from` (at once in any real growth), else one unterminated line that is an operation. A
 * long torn line is read through, not taken for growth: that would catch the cache up again on every read.
 */
function completeGrowth(path: string, from: number, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(65536, size - from));
    for (let pos = from; pos < size; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n <= 0) break;
      if (buf.subarray(0, n).includes(10)) return true;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return typeof parseOpLine(readTail(path, size, size - from).toString('utf8')) !== 'string';
}

/** The mark of a file read up to `end` (`lines` complete lines). */
export function markOf(dir: string, name: string, end: number, lines: number, mtime?: number): FileMark {
  const path = join(dir, name);
  const at = mtime ?? statSync(path).mtimeMs;
  return { name, size: end, lines, tail: tailHash(readTail(path, end, TAIL_BYTES)), mtime: Date.now() - at > RACY_MS ? at : 0 };
}

/** How old an mtime must be to be trusted (see FileMark.mtime). */
const RACY_MS = 2000;

/** Calls onLine for every complete line of every file of the log, oldest file first. */
export function forEachLogLine(dir: string, onLine: (text: string, name: string, line: number) => void, names = logFileNames(dir)): void {
  for (const name of names) forEachLine(join(dir, name), 0, (text, line) => onLine(text, name, line));
}

/** How our writer starts every line: the operation's id, then its bead. */
const OUR_LINE = /^\{"op_id":"[^"\\]*","bead":"([^"\\]*)"/;

/** Every operation of the given log ids, from every file (parsing only the lines that name them). */
export function opsOfIds(dir: string, logIds: Set<string>, names = logFileNames(dir)): Map<string, Op[]> {
  const all: Op[] = [];
  forEachLogLine(
    dir,
    (text) => {
      // Skipped unparsed only when it starts as our writer writes a line: elsewhere a "bead" key may be nested
      // (in fields) before the operation's own, and the line is parsed.
      const id = OUR_LINE.exec(text)?.[1];
      if (id !== undefined && !logIds.has(id)) return;
      const parsed = parseOpLine(text);
      if (typeof parsed !== 'string' && logIds.has(parsed.bead)) all.push(parsed);
    },
    names,
  );
  return groupByLogId(all);
}

/** Whether a path is a regular file, not following a symlink. */
function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

// ---- the writer's segment ----------------------------------------------------------------------------------

interface WriterRecord {
  segment: string;
  host: string;
  dir: string;
}

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/**
 * The segment this clone appends to, by name (`log/<seq>-<writer>.jsonl`). The `.beads/writer` file names it,
 * with the host and directory it was made for: a copy of the directory elsewhere (cp -r, a file-level clone)
 * starts a segment of its own rather than writing the same file as the original. When the segment has
 * reached `sealBytes`, or is gone, or none is named, a new one is started (named in the writer file; the
 * segment itself is made by the first append, in the log/ directory made here).
 */
/** The segment `.beads/writer` names for this clone (made here, for this directory), if any; nothing is started. */
export function namedWriterSegment(dir: string): string | null {
  const here = { host: hostname(), dir: realDir(dir) };
  try {
    const rec = JSON.parse(readFileSync(join(dir, WRITER_FILE), 'utf8')) as WriterRecord;
    const base = typeof rec.segment === 'string' ? rec.segment.slice(SEGMENTS_DIR.length + 1) : '';
    if (rec.segment === `${SEGMENTS_DIR}/${base}` && SEGMENT_NAME.test(base) && rec.host === here.host && rec.dir === here.dir) return rec.segment;
  } catch {
    /* none yet, or unreadable */
  }
  return null;
}

export function writerSegment(dir: string, sealBytes: number): string {
  const here = { host: hostname(), dir: realDir(dir) };
  const current = namedWriterSegment(dir);
  // A segment that is gone was taken away by git (a checkout of a branch that lacks it): starting a new one keeps
  // the branches from both adding the same file with different lines.
  // Only a regular file: a symlink under its name (a remote may commit one) would take the appends anywhere.
  if (current && isRegularFile(join(dir, current))) {
    const path = join(dir, current);
    if (fileSize(path) < sealBytes) return current;
    // About to be sealed: a torn final line (a writer killed mid-append, which may be what filled it) is cut now,
    // as the append would have, for no writer appends to this file again.
    appendLines(path, []);
    if (fileSize(path) < sealBytes) return current;
  }
  const seq = logFileNames(dir).reduce((max, n) => Math.max(max, sequence(n.slice(SEGMENTS_DIR.length + 1))), 0) + 1;
  const segment = `${SEGMENTS_DIR}/${String(seq).padStart(6, '0')}-${randomToken(8)}.jsonl`;
  mkdirSync(join(dir, SEGMENTS_DIR), { recursive: true });
  const tmp = join(dir, `${WRITER_FILE}.tmp${process.pid}`);
  writeFileSync(tmp, JSON.stringify({ segment, ...here } satisfies WriterRecord) + '\n');
  try {
    renameSync(tmp, join(dir, WRITER_FILE));
  } catch (err) {
    // (a directory where the writer file belongs, say): the error names the writer file, not the temp one
    rmSync(tmp, { force: true });
    throw Object.assign(err as NodeJS.ErrnoException, { path: join(dir, WRITER_FILE), dest: undefined });
  }
  return segment;
}
