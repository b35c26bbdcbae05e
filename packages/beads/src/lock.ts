// A lock file beside the log, for writers and for compare-and-set operations. Acquired by hard-linking a
// fully written temp file into place (atomic, never half-written); a lock whose holder process is gone is
// stale and is broken, guarded by a second lock so that two recoverers cannot both break it.
import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomToken } from './ids.js';
import { BeadsError } from './errors.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function holderAlive(content: string): boolean {
  const [pid, host] = content.split(' ');
  if (host !== hostname()) return true; // cannot tell for another machine: assume alive
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOrEmpty(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

export interface LockOptions {
  timeoutMs?: number;
  /** What the lock guards, for the message when it cannot be had (default "the store"). */
  what?: string;
}

/** Runs `fn` holding the lock at `path`. Waits up to timeoutMs (default 30 s) for a live holder. */
export function withLock<T>(path: string, fn: () => T, options: LockOptions = {}): T {
  const release = acquireLock(path, options);
  try {
    return fn();
  } finally {
    release();
  }
}

export function acquireLock(path: string, { timeoutMs = 30_000, what = 'the store' }: LockOptions = {}): () => void {
  const token = `${process.pid} ${hostname()} ${randomToken(10)}\n`;
  const tmp = `${path}.${process.pid}.${randomToken(6)}`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, token);
  closeSync(fd);
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  try {
    for (;;) {
      try {
        linkSync(tmp, path);
        return () => {
          if (readOrEmpty(path) === token) unlinkSync(path);
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readOrEmpty(path);
      if (holder !== null && !holderAlive(holder)) breakStaleLock(path, holder);
      else {
        if (Date.now() > deadline) {
          throw new BeadsError('lock_timeout', `${what} is locked by process ${holder?.split(' ')[0] ?? '?'} (${path}); try again, or remove the file if no bd or gt is running`, { lock: path });
        }
        sleepSync(wait);
        wait = Math.min(wait * 2, 25);
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

function breakStaleLock(path: string, staleContent: string): void {
  const guard = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch {
    // Someone else is breaking it; a guard left by a recoverer that died is removed after a while.
    if (ageMs(guard) > 5_000) {
      try {
        unlinkSync(guard);
      } catch {
        /* raced */
      }
    }
    sleepSync(2);
    return;
  }
  try {
    if (readOrEmpty(path) === staleContent) unlinkSync(path);
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
}
