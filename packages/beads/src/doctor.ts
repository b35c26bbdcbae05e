// `bd doctor`: verifies every line of the log, rebuilds the caches from scratch, and prints a hash of the
// folded state so two clones can be compared. With fix, corrupt lines are first moved to the quarantine file.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BeadStore } from './store.js';
import { LOG_FILE } from './store.js';
import { canonicalBead } from './record.js';
import { GITATTRIBUTES_LINE, SEGMENTS_ATTRIBUTES_LINE } from './location.js';
import { fileSize, tornTail, type CorruptLine } from './log.js';
import { logLines } from './cache.js';
import { SEGMENTS_DIR, logFileIsLink, namedWriterSegment, strayLogFiles } from './log-files.js';

/** A single-file log past this size gets a hint to migrate: every sync commits the whole file again. */
const MIGRATE_HINT_BYTES = 8 * 1024 * 1024;
import { quarantineCorrupt, type QuarantineResult } from './quarantine.js';

export interface DoctorReport {
  ok: boolean;
  log: string;
  /** 1: one log file; 2: segments. */
  format: number;
  /** The log's files (one in a single-file store). */
  files: number;
  lines: number;
  beads: number;
  deleted: number;
  max_clock: number;
  hash: string;
  corrupt: CorruptLine[];
  orphans: string[];
  collisions: Record<string, string[]>;
  dangling_dependencies: { id: string; depends_on_id: string; type: string }[];
  warnings: string[];
  /** A final line without its newline that is not a complete operation (a writer killed mid-write), if any. */
  torn_tail: { file: string; offset: number; bytes: number } | null;
  /** With fix: the lines moved out of the log, and where to. */
  quarantined?: QuarantineResult;
}

export interface DoctorOptions {
  /** Move corrupt lines to the quarantine file (ops.corrupt.jsonl) before checking. */
  fix?: boolean;
  /** Who is fixing (recorded with each moved line). */
  actor?: string;
}

/** sha256 over the canonical JSON of every bead (deleted ones included), in id order. */
export function stateHash(store: BeadStore): string {
  const states = store.read((view) => [...view.allStates()], { allowCorrupt: true }).sort((a, b) => (a.bead.id < b.bead.id ? -1 : 1));
  const hash = createHash('sha256');
  for (const s of states) hash.update(JSON.stringify(canonicalBead(s.bead)) + '\n');
  return hash.digest('hex');
}

export function runDoctor(store: BeadStore, options: DoctorOptions = {}): DoctorReport {
  const quarantined = options.fix ? quarantineCorrupt(store, options.actor ?? 'bd doctor') : undefined;
  const meta = store.rebuild();
  // through the store's fallback: another process may delete the cache meanwhile
  const { states, inMemory } = store.read((view) => ({ states: [...view.allStates()], inMemory: view.files.inMemory }), { allowCorrupt: true });
  const ids = new Set<string>();
  let deleted = 0;
  const dangling: DoctorReport['dangling_dependencies'] = [];
  for (const s of states) ids.add(s.bead.id);
  for (const s of states) {
    if (s.bead.status === 'tombstone') deleted++;
    for (const d of s.bead.dependencies ?? []) {
      if (!ids.has(d.depends_on_id)) dangling.push({ id: s.bead.id, depends_on_id: d.depends_on_id, type: d.type });
    }
  }
  const warnings: string[] = [];
  const attributes = join(dirname(store.dir), '.gitattributes');
  const attrText = existsSync(attributes) ? readFileSync(attributes, 'utf8') : '';
  const files = store.logFiles();
  const wanted = store.segmented ? [SEGMENTS_ATTRIBUTES_LINE, ...(files.includes(LOG_FILE) ? [GITATTRIBUTES_LINE] : [])] : [GITATTRIBUTES_LINE];
  for (const line of wanted) {
    if (!attrText.split('\n').includes(line)) warnings.push(`${attributes} lacks "${line}": bd sync merges the log as a union anyway, but a git merge or pull by hand may conflict in it; add the line and commit it`);
  }
  if (inMemory) warnings.push(`the cache could not be written to ${store.cacheDir} (is the disk full or read-only?): commands fold the log in memory, which is slower`);
  const singleBytes = store.segmented ? 0 : fileSize(join(store.dir, LOG_FILE));
  if (singleBytes > MIGRATE_HINT_BYTES) warnings.push(`${store.displayLogPath} is one file of ${(singleBytes / 1048576).toFixed(0)} MB, and every bd sync commits all of it again: run bd migrate once (when every clone runs a bd that reads segments) so syncs commit only what changed`);
  // Only a file still being appended to can end torn; a torn line in a sealed one is reported the same way.
  let tornReport: DoctorReport['torn_tail'] = null;
  for (const name of files) {
    const torn = tornTail(join(store.dir, name));
    if (!torn) continue;
    tornReport ??= { file: store.displayPath(name), ...torn };
    // Only the file this clone appends to is cut by its next write; any other, by bd sync before it commits.
    const appended = store.segmented ? name === namedWriterSegment(store.dir) : name === LOG_FILE;
    warnings.push(`${store.displayPath(name)}: a torn final line at byte ${torn.offset} (${torn.bytes} bytes, no newline, not a valid operation): left by a writer killed mid-write and never acknowledged; it is skipped, and ${appended ? 'the next write cuts it off' : 'bd sync cuts it off before it commits (no write of this clone appends to that file)'}`);
  }
  // A file where the segments' directory belongs: no segment can be read or written (every write fails).
  const segmentsDir = join(store.dir, SEGMENTS_DIR);
  const logNotDir = store.segmented && existsSync(segmentsDir) && !statSync(segmentsDir).isDirectory();
  if (logNotDir) warnings.push(`${store.displayPath(SEGMENTS_DIR)} is not a directory: it is where the log's segments belong, so none can be read and every write fails; move it aside (the store's segments are in git, if they were committed)`);
  if (logFileIsLink(store.dir)) warnings.push(`${store.displayPath(LOG_FILE)} is a symbolic link and is not read: a store's log is regular files (a link could point anywhere); replace it with the file it points to, or remove it`);
  for (const name of strayLogFiles(store.dir)) {
    warnings.push(`${store.displayPath(name)} is not read: only files (not symlinks) named <seq>-<writer>.jsonl (six or more digits, a dash, eight lower-case letters or digits) are the log, and bd sync does not commit anything else; move it out of log/ (a file of operations is read only under a segment's name)`);
  }
  if (meta.orphans.length) warnings.push(`${meta.orphans.length} id(s) have operations but no create: ${meta.orphans.slice(0, 5).join(', ')}`);
  const report: DoctorReport = {
    ok: meta.corrupt.length === 0 && !logNotDir,
    log: store.displayLogPath,
    format: store.segmented ? 2 : 1,
    files: files.length,
    lines: logLines(meta),
    beads: states.length - deleted,
    deleted,
    max_clock: meta.maxLc,
    hash: stateHash(store),
    corrupt: meta.corrupt,
    orphans: meta.orphans,
    collisions: meta.aliases,
    dangling_dependencies: dangling,
    warnings,
    torn_tail: tornReport,
    ...(quarantined ? { quarantined } : {}),
  };
  return report;
}
