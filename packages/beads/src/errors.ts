import { isAbsolute, relative } from 'node:path';

// Typed errors of the store. Each carries a stable `code` (part of the --json contract) and the process exit
// code a CLI should use for it, so every caller reports the same failure the same way.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  invalid: 4,
  conflict: 5,
  corrupt: 6,
  locked: 7,
  noStore: 8,
  gateFailed: 9,
  syncFailed: 10,
  missingTool: 11,
  io: 12,
} as const;

export type ErrorCode =
  | 'usage'
  | 'invalid_input'
  | 'not_found'
  | 'ambiguous_id'
  | 'already_claimed'
  | 'conflict'
  | 'corrupt_log'
  | 'lock_timeout'
  | 'no_store'
  | 'store_exists'
  | 'io_error'
  | 'gate_failed'
  | 'no_remote'
  | 'sync_failed'
  | 'missing_tool'
  | 'internal';

const exitFor: Record<ErrorCode, number> = {
  usage: EXIT.usage,
  invalid_input: EXIT.invalid,
  not_found: EXIT.notFound,
  ambiguous_id: EXIT.notFound,
  already_claimed: EXIT.conflict,
  conflict: EXIT.conflict,
  corrupt_log: EXIT.corrupt,
  lock_timeout: EXIT.locked,
  no_store: EXIT.noStore,
  store_exists: EXIT.conflict,
  io_error: EXIT.io,
  gate_failed: EXIT.gateFailed,
  no_remote: EXIT.syncFailed,
  sync_failed: EXIT.syncFailed,
  missing_tool: EXIT.missingTool,
  internal: EXIT.internal,
};

export class BeadsError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'BeadsError';
    this.code = code;
    this.exitCode = exitFor[code];
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** A git command's failure as one clear `sync_failed` error: credentials refused, remote unreachable, or git's own words. */
export function gitFailure(err: unknown, what: string): BeadsError {
  const text = String((err as Error)?.message ?? err).trim();
  if (/authentication|permission denied|could not read username|403|401/i.test(text)) {
    return new BeadsError('sync_failed', `${what}: the remote refused the credentials; check your access to it (${text.split('\n')[0]})`);
  }
  if (/not a git repository|does not appear to be a git repository|repository .* not found|could not read from remote/i.test(text)) {
    return new BeadsError('sync_failed', `${what}: the remote is not a reachable git repository (${text.split('\n')[0]})`);
  }
  // git's own words, whole sentences: its hints (advice on what git would do next) are left out, not cut mid-way
  const said = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^hint:/i.test(l));
  return new BeadsError('sync_failed', `${what}: ${said.slice(0, 12).join(' ')}${said.length > 12 ? ' ...' : ''}`);
}

/** What each errno means for a person, and what to do about it. */
const IO_ERRORS: Record<string, [meaning: string, advice: string]> = {
  EROFS: ['the file system is read-only', 'remount it read-write or work in a writable clone'],
  EACCES: ['permission denied', 'check the owner and permissions of the store (.beads/ and the files in it)'],
  EPERM: ['the operation is not permitted', 'check the owner, permissions and attributes (lsattr) of the store'],
  ENOSPC: ['the disk is full', 'free some space and run the command again'],
  EDQUOT: ['the disk quota is used up', 'free some space and run the command again'],
  EIO: ['the disk reported an I/O error', 'check the disk and the file system'],
  EMFILE: ['too many files are open', 'raise the limit (ulimit -n) or close other programs'],
  ENFILE: ['the system has too many files open', 'close other programs and run the command again'],
  ENOTDIR: ['a part of the path is not a directory', 'move the file that stands where a directory belongs out of the way'],
  EISDIR: ['it is a directory', 'move the directory that stands where a file belongs out of the way'],
  EEXIST: ['something is already in the way', 'move it aside and run the command again'],
  ENOENT: ['it does not exist', 'restore it (the store\'s files are in git: git checkout .beads/)'],
  ELOOP: ['there are too many symbolic links', 'fix the symbolic links in the path'],
  ENAMETOOLONG: ['the path is too long', 'use a shorter path'],
};

const WRITES = new Set(['write', 'writev', 'fsync', 'fdatasync', 'link', 'unlink', 'rename', 'mkdir', 'rmdir', 'ftruncate', 'truncate', 'copyfile', 'symlink', 'chmod', 'utime', 'close']);

/**
 * An environment failure (read-only or full disk, permissions, a missing file) as one `io_error` sentence:
 * what failed, on which file (else in which store), and what to do. Null for anything else, which stays an
 * internal error.
 */
export function ioFailure(err: unknown, base = process.cwd(), storeDir?: string): BeadsError | null {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const known = code ? IO_ERRORS[code] : undefined;
  if (!known || typeof e?.syscall !== 'string') return null;
  const [meaning, general] = known;
  // The caches are derived from the log: whatever went wrong with one, rebuilding it is the way out.
  const advice = code === 'ENOENT' && e.path && /[\\/]\.beads[\\/]cache([\\/]|$)/.test(e.path) ? 'the caches are rebuilt from the log: run bd doctor' : general;
  const writing = WRITES.has(e.syscall) || (e.syscall === 'open' && ['EROFS', 'ENOSPC', 'EDQUOT'].includes(code!));
  const verb = writing ? 'write' : e.syscall === 'open' || e.syscall === 'read' ? 'read' : e.syscall;
  const shown = (path: string): string => (isAbsolute(path) && !relative(base, path).startsWith('..') ? relative(base, path) || path : path);
  // A failed read or write names no file: then the store it was working on.
  const where = e.path ? ` ${shown(e.path)}` : storeDir ? ` a file in ${shown(storeDir)}` : '';
  return new BeadsError('io_error', `cannot ${verb}${where}: ${meaning} (${code}); ${advice}`, { errno: code, syscall: e.syscall, ...(e.path ? { path: e.path } : {}) });
}
