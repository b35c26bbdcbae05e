// File primitives of the cache: reading a valid prefix, appending at a known length (cutting what a crashed
// update left past it), and replacing a file atomically; and where a reader's files live: on disk, or in
// memory when the disk would not take them (the cache is derived, so a fold in memory is always an answer).
import { appendFileSync, closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';

/** The files of one cache generation, as a reader reads them and a full build writes them. */
export interface CacheFiles {
  /** Bytes [from, length) of a file; a file shorter than that is cache trouble (ESTALE). */
  read(path: string, length: number, from?: number): Buffer;
  readWhole(path: string): string;
  write(path: string, data: string): void;
  /** Adds to the end of a file, making it if missing (a Buffer: UTF-8 text already encoded). */
  append(path: string, data: string | Buffer): void;
  readonly inMemory: boolean;
}

export const diskFiles: CacheFiles = {
  read: (path, length, from = 0) => readPrefixBuffer(path, length, from),
  readWhole: (path) => readFileSync(path, 'utf8'),
  write: (path, data) => writeFileSync(path, data),
  append: (path, data) => appendFileSync(path, data),
  inMemory: false,
};

export function memoryFiles(): CacheFiles {
  const files = new Map<string, Buffer>();
  const get = (path: string): Buffer => {
    const buf = files.get(path);
    if (!buf) throw Object.assign(new Error(`ENOENT: no such file in the in-memory cache, ${path}`), { code: 'ENOENT' });
    return buf;
  };
  return {
    read: (path, length, from = 0) => get(path).subarray(from, Math.max(from, length)),
    readWhole: (path) => get(path).toString('utf8'),
    write: (path, data) => void files.set(path, Buffer.from(data, 'utf8')),
    append: (path, data) => void files.set(path, Buffer.concat([files.get(path) ?? Buffer.alloc(0), typeof data === 'string' ? Buffer.from(data, 'utf8') : data])),
    inMemory: true,
  };
}

/**
 * Whether an error is the file system refusing the cache (deleted under us, full, read-only, a path taken
 * by something else), which a fold in memory works around, rather than a bug.
 */
export function isCacheTrouble(err: unknown): boolean {
  // not `instanceof Error`: errors from node:fs may come from another realm (a test runner's vm)
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

export function readPrefixBuffer(path: string, length: number, from = 0): Buffer {
  if (length - from <= 0) return Buffer.alloc(0);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    // Shorter than the meta says: not the file the meta describes (truncated, or deleted and begun again).
    if (n !== buf.length) throw Object.assign(new Error(`${path} is shorter (${from + n} bytes) than the cache's meta says (${length})`), { code: 'ESTALE' });
    return buf;
  } finally {
    closeSync(fd);
  }
}

export function readPrefix(path: string, length: number): string {
  return readPrefixBuffer(path, length).toString('utf8');
}

/**
 * Appends `text` at byte `at`, cutting anything past it first; returns the new length. A file shorter than
 * `at` is not the one the meta describes (another process deleted it): refused, rather than padded.
 */
export function appendAt(path: string, at: number, text: string): number {
  const fd = openSync(path, at > 0 || existsSync(path) ? 'r+' : 'w+');
  try {
    const size = fstatSync(fd).size;
    if (size < at) throw Object.assign(new Error(`${path} is shorter (${size} bytes) than the cache's meta says (${at})`), { code: 'ESTALE' });
    if (size !== at) ftruncateSync(fd, at);
    const buf = Buffer.from(text, 'utf8');
    writeSync(fd, buf, 0, buf.length, at);
    return at + buf.length;
  } finally {
    closeSync(fd);
  }
}

export function writeAtomic(path: string, text: string | Buffer): void {
  const tmp = `${path}.tmp${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
