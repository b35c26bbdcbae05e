// `bd migrate`: turns a single-file store (format 1) into a segmented one (format 2). Nothing is moved or
// rewritten: ops.jsonl stays where it is as the first segment, sealed (no writer touches it again), and new
// operations go to this clone's segment under log/. So the folded state and `bd doctor`'s hash do not change,
// and a clone that has not migrated yet merges cleanly: it only ever appended to ops.jsonl, which the migrated
// clone no longer writes. config.json carries the format to every clone with the next sync.
import { existsSync, lstatSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BeadsError } from './errors.js';
import { withLock } from './lock.js';
import { BEADS_DIRNAME, GITATTRIBUTES_LINE, SEGMENTS_ATTRIBUTES_LINE, WISPS_DIRNAME, ensureLine } from './location.js';
import { appendLines } from './log.js';
import { LOG_FILE, WRITER_FILE } from './log-files.js';
import { CONFIG_FILE, SEGMENTED_FORMAT, SINGLE_FILE_FORMAT, type BeadStore } from './store.js';

export interface MigrateResult {
  /** The format before and after. */
  from: number;
  to: number;
  migrated: boolean;
  /** Files changed besides config.json (to commit with it). */
  changed: string[];
}

export function migrateStore(store: BeadStore): MigrateResult {
  // The wisp store is never synced and is rewritten when a wisp is burned: one file is all it needs.
  if (basename(store.dir) === WISPS_DIRNAME && existsSync(join(dirname(store.dir), CONFIG_FILE))) {
    throw new BeadsError('invalid_input', `${store.displayPath('')} is the wisp store, which stays one file (it is never synced): migrate the store that holds it (${store.displayPath('..')})`);
  }
  return withLock(store.lockPath, () => {
    const configPath = join(store.dir, CONFIG_FILE);
    const config = JSON.parse(readFileSync(configPath, 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
    const from = typeof config.format === 'number' ? config.format : SINGLE_FILE_FORMAT;
    const changed: string[] = [];
    // the lines are made sure of even when already migrated: a store migrated by hand may lack them
    const root = dirname(store.dir);
    if (ensureLine(join(store.dir, '.gitignore'), WRITER_FILE)) changed.push(`${BEADS_DIRNAME}/.gitignore`);
    for (const line of [GITATTRIBUTES_LINE, SEGMENTS_ATTRIBUTES_LINE]) if (ensureLine(join(root, '.gitattributes'), line) && !changed.includes('.gitattributes')) changed.push('.gitattributes');
    if (from >= SEGMENTED_FORMAT) return { from, to: from, migrated: false, changed };
    // No writer appends to ops.jsonl after this one, so none would cut a torn final line (a writer killed
    // mid-append): it is cut now, as the next append would have.
    const legacy = join(store.dir, LOG_FILE);
    if (existsSync(legacy) && lstatSync(legacy).isFile()) appendLines(legacy, []); // never through a symlink
    config.format = SEGMENTED_FORMAT;
    const tmp = `${configPath}.tmp${process.pid}`;
    writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n');
    renameSync(tmp, configPath);
    store.config.format = SEGMENTED_FORMAT;
    return { from, to: SEGMENTED_FORMAT, migrated: true, changed };
  });
}
