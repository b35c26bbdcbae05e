// `bd doctor --fix`: moves corrupt lines out of the log into .beads/ops.corrupt.jsonl, so that a line nobody
// can read stops blocking every command, and nothing is lost. Each moved line becomes one JSON record holding
// its exact text, where it was and why it was refused. Each log file holding such a line is rewritten whole (a
// new file renamed over the old one, under the store lock; a repair is the one time a sealed segment changes);
// readers see the old file or the new one, and their caches rebuild because the file no longer starts with the
// bytes they were built from. bd sync carries the quarantine file with the log
// (merged by union, like the log), so a clone that receives the shorter log also receives the moved lines.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BEADS_DIRNAME, ensureLine } from './location.js';
import { withLock } from './lock.js';
import { appendLines, fileSize, forEachLine, parseOpLine, readTail } from './log.js';
import type { BeadStore } from './store.js';

export const QUARANTINE_FILE = 'ops.corrupt.jsonl';
export const QUARANTINE_ATTRIBUTES_LINE = `${BEADS_DIRNAME}/${QUARANTINE_FILE} merge=union`;

export interface QuarantinedLine {
  /** The log file it was in, as shown to people (relative to the repository). */
  file: string;
  /** Its line number in that file before the move. */
  line: number;
  message: string;
  /** The line exactly as it was. */
  text: string;
  moved_at: string;
  moved_by: string;
}

export interface QuarantineResult {
  /** Where the moved lines went, as shown to people. */
  file: string;
  moved: QuarantinedLine[];
}

const BATCH = 4 * 1024 * 1024;

/** Moves every corrupt complete line of the log's files to the quarantine file; a clean log is left untouched. */
export function quarantineCorrupt(store: BeadStore, actor: string, now = new Date()): QuarantineResult {
  const quarantine = join(store.dir, QUARANTINE_FILE);
  const shown = store.displayPath(QUARANTINE_FILE);
  const moved = withLock(store.lockPath, () => {
    const found: QuarantinedLine[] = [];
    const byFile = new Map<string, Set<number>>();
    // First pass: is there anything to move? (Most logs are clean: nothing is written for them.)
    for (const name of store.logFiles()) {
      const file = store.displayPath(name);
      forEachLine(join(store.dir, name), 0, (text, line) => {
        const parsed = parseOpLine(text);
        if (typeof parsed !== 'string') return;
        found.push({ file, line, message: parsed, text, moved_at: now.toISOString(), moved_by: actor });
        const lines = byFile.get(name) ?? new Set<number>();
        byFile.set(name, lines.add(line));
      });
    }
    if (!found.length) return found;
    // The records first: a crash after this leaves the lines in both places, never in neither.
    appendLines(quarantine, found.map((q) => JSON.stringify(q)));
    ensureLine(join(dirname(store.dir), '.gitattributes'), QUARANTINE_ATTRIBUTES_LINE);
    for (const [name, lines] of byFile) withoutLines(join(store.dir, name), lines);
    syncDir(store.dir);
    return found;
  });
  if (moved.length) store.rebuild();
  return { file: shown, moved };
}

/** Rewrites a log file without the given lines: a temp file, fsynced, renamed over it. */
function withoutLines(path: string, corruptLines: Set<number>): void {
  const tmp = `${path}.fix-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    let pending: string[] = [];
    let size = 0;
    const flush = (): void => {
      if (pending.length) writeSync(fd, pending.join(''));
      pending = [];
      size = 0;
    };
    const { end } = forEachLine(path, 0, (text, line) => {
      if (corruptLines.has(line)) return;
      pending.push(`${text}\n`);
      size += text.length + 1;
      if (size > BATCH) flush();
    });
    flush();
    // A torn final line (a writer killed mid-write) is kept as it was: the next writer cuts it, as always.
    const total = fileSize(path);
    if (total > end) writeSync(fd, readTail(path, total, total - end));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not every file system lets a directory be synced
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
