// Where a store is: `--dir`, else BEADS_DIR, else the nearest .beads/ walking up from the current directory;
// a `.beads/redirect` file holding a path sends the search elsewhere. `initStore` creates one.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BeadsError } from './errors.js';
import { PREFIX_PATTERN } from './ids.js';
import { CONFIG_FILE, LOG_FILE, SEGMENTED_FORMAT, SINGLE_FILE_FORMAT } from './store.js';
import { SEGMENTS_DIR, WRITER_FILE } from './log-files.js';

export const BEADS_DIRNAME = '.beads';

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Follows `.beads/redirect` (a path, relative to the .beads directory that holds it) at most 10 times. */
function followRedirects(beadsDir: string): string {
  let dir = beadsDir;
  for (let hops = 0; hops < 10; hops++) {
    const redirect = join(dir, 'redirect');
    if (!existsSync(redirect)) return dir;
    const target = readFileSync(redirect, 'utf8').trim();
    if (!target) return dir;
    const next = isAbsolute(target) ? target : resolve(dir, target);
    dir = isDir(join(next, BEADS_DIRNAME)) && !existsSync(join(next, CONFIG_FILE)) ? join(next, BEADS_DIRNAME) : next;
  }
  throw new BeadsError('no_store', `too many redirects from ${beadsDir}`);
}

/** A --dir or BEADS_DIR value may name the .beads directory itself or the directory that holds it. */
function asBeadsDir(path: string): string {
  const abs = resolve(path);
  if (existsSync(join(abs, CONFIG_FILE)) || existsSync(join(abs, 'redirect'))) return abs;
  if (isDir(join(abs, BEADS_DIRNAME))) return join(abs, BEADS_DIRNAME);
  return abs;
}

export interface FindOptions {
  dir?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function findStoreDir({ dir, cwd = process.cwd(), env = process.env }: FindOptions = {}): string {
  if (dir) return followRedirects(asBeadsDir(resolve(cwd, dir)));
  if (env.BEADS_DIR) return followRedirects(asBeadsDir(resolve(cwd, env.BEADS_DIR)));
  let cur = resolve(cwd);
  for (;;) {
    const candidate = join(cur, BEADS_DIRNAME);
    if (isDir(candidate)) return followRedirects(candidate);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  throw new BeadsError('no_store', `no .beads/ store found from ${cwd} upward; run bd init, or give --dir or BEADS_DIR`);
}

export const GITIGNORE = `# Derived caches: rebuilt from the log whenever missing or stale. Never commit them.
cache/
lock
lock.*
*.tmp*
# Which segment this clone appends to: each clone has its own.
${WRITER_FILE}
# Wisps: ephemeral molecules, never synced.
wisps/
`;

export const GITATTRIBUTES_LINE = `${BEADS_DIRNAME}/${LOG_FILE} merge=union`;
/** Segments are never written by two clones, so they never need it; it is a second safeguard (a copied clone). */
export const SEGMENTS_ATTRIBUTES_LINE = `${BEADS_DIRNAME}/${SEGMENTS_DIR}/*.jsonl merge=union`;

/** Appends a line to a text file (made if missing) unless the file has it already; true when it was added. */
export function ensureLine(file: string, line: string): boolean {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text.split('\n').includes(line)) return false;
  writeFileSync(file, text + (text && !text.endsWith('\n') ? '\n' : '') + line + '\n');
  return true;
}

export interface InitResult {
  dir: string;
  prefix: string;
  created: boolean;
}

/** Creates `.beads/` in `root`: config (a segmented store), .gitignore, and the union-merge attributes. */
export function initStore(root: string, prefix: string): InitResult {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new BeadsError('invalid_input', `invalid prefix ${JSON.stringify(prefix)}: use 1-20 lower-case letters, digits or _, starting with a letter`);
  }
  const dir = join(resolve(root), BEADS_DIRNAME);
  if (existsSync(join(dir, CONFIG_FILE))) {
    const existing = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')) as { prefix?: string };
    throw new BeadsError('store_exists', `a bead store already exists at ${dir} (prefix ${existing.prefix ?? '?'})`, { dir, prefix: existing.prefix });
  }
  mkdirSync(join(dir, SEGMENTS_DIR), { recursive: true });
  writeFileSync(join(dir, CONFIG_FILE), JSON.stringify({ prefix, format: SEGMENTED_FORMAT }, null, 2) + '\n');
  writeFileSync(join(dir, '.gitignore'), GITIGNORE);
  // The attributes live in the repository's top-level .gitattributes so no per-clone setup is needed.
  ensureLine(join(resolve(root), '.gitattributes'), GITATTRIBUTES_LINE);
  ensureLine(join(resolve(root), '.gitattributes'), SEGMENTS_ATTRIBUTES_LINE);
  return { dir, prefix, created: true };
}

export const WISPS_DIRNAME = 'wisps';

/** Whether an id names a wisp of the store with this prefix (`<prefix>-wisp-...`). */
export function isWispId(prefix: string, id: string): boolean {
  return id.startsWith(`${prefix}-wisp-`);
}

/**
 * The store's wisp store, `.beads/wisps/`: a store of its own, gitignored and never synced, for ephemeral
 * molecules. Created on first use when `create` is set; null when absent otherwise.
 */
export function wispStoreDir(beadsDir: string, prefix: string, create: boolean): string | null {
  const dir = join(beadsDir, WISPS_DIRNAME);
  if (existsSync(join(dir, CONFIG_FILE))) return dir;
  if (!create) return null;
  mkdirSync(dir, { recursive: true });
  // never synced, and rewritten when a wisp is burned: one file is all it needs
  writeFileSync(join(dir, CONFIG_FILE), JSON.stringify({ prefix, id_prefix: `${prefix}-wisp`, format: SINGLE_FILE_FORMAT }, null, 2) + '\n');
  if (!existsSync(join(dir, LOG_FILE))) writeFileSync(join(dir, LOG_FILE), '');
  // Stores made before wisps existed: make sure git ignores them.
  ensureLine(join(beadsDir, '.gitignore'), `${WISPS_DIRNAME}/`);
  return dir;
}
