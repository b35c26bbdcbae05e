// File primitives of the cache: reading a valid prefix, appending at a known length (cutting what a crashed
// update left past it), and replacing a file atomically.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';

export function readPrefixBuffer(path: string, length: number, from = 0): Buffer {
  if (length - from <= 0) return Buffer.alloc(0);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function readPrefix(path: string, length: number): string {
  return readPrefixBuffer(path, length).toString('utf8');
}

/** Appends `text` at byte `at`, cutting anything past it first; returns the new length. */
export function appendAt(path: string, at: number, text: string): number {
  const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
  try {
    if (fstatSync(fd).size !== at) ftruncateSync(fd, at);
    const buf = Buffer.from(text, 'utf8');
    writeSync(fd, buf, 0, buf.length, at);
    return at + buf.length;
  } finally {
    closeSync(fd);
  }
}

export function writeAtomic(path: string, text: string | Buffer): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
