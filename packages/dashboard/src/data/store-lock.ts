// Whether another live process holds a store's lock (beads' lock.ts: a file `lock` holding "pid host token").
// A read whose cache must catch up takes that lock and waits up to 30 s for it; the live reader asks first and,
// when it is held, keeps the store's last rows for this round rather than wait.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The pid holding the store's lock, or null when it is free (or held by a process that is gone: a read breaks it). */
export function lockHolder(storeDir: string): number | null {
  let content: string;
  try {
    content = readFileSync(join(storeDir, 'lock'), 'utf8');
  } catch {
    return null;
  }
  const [pid, host] = content.split(' ');
  const n = Number(pid);
  if (host !== hostname()) return Number.isFinite(n) ? n : 0; // another machine's: assumed alive, as lock.ts does
  if (!Number.isInteger(n) || n <= 0) return null;
  try {
    process.kill(n, 0);
    return n;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? n : null;
  }
}
