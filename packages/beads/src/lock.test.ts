import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, withLock } from './lock.js';
import { BeadsError } from './errors.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function lockPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beads-lock-'));
  dirs.push(dir);
  return join(dir, 'lock');
}

/** The pid of a process that has exited, so certainly not holding anything. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('the store lock', () => {
  it('is taken and released', () => {
    const path = lockPath();
    const seen = withLock(path, () => readFileSync(path, 'utf8'));
    expect(seen).toMatch(new RegExp(`^${process.pid} ${hostname()} `));
    expect(existsSync(path)).toBe(false);
  });

  it('breaks a lock whose holder died', () => {
    const path = lockPath();
    writeFileSync(path, `${deadPid()} ${hostname()} abcdef\n`);
    expect(withLock(path, () => 'got it', { timeoutMs: 5_000 })).toBe('got it');
    expect(existsSync(path)).toBe(false);
  });

  it('waits for a live holder and says who it is when it gives up', () => {
    const path = lockPath();
    const release = acquireLock(path);
    try {
      let error: unknown;
      try {
        withLock(path, () => undefined, { timeoutMs: 200 });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(BeadsError);
      expect((error as BeadsError).code).toBe('lock_timeout');
      expect((error as BeadsError).message).toMatch(new RegExp(`^the store is locked by process ${process.pid} `));
      // a lock that guards something else says what
      expect(() => withLock(path, () => undefined, { timeoutMs: 50, what: 'the town\'s rig registry' })).toThrow(/^the town's rig registry is locked by process/);
    } finally {
      release();
    }
    expect(withLock(path, () => 'free again')).toBe('free again');
  });

  it('leaves a lock held by another host alone', () => {
    const path = lockPath();
    writeFileSync(path, `${deadPid()} some-other-host abcdef\n`);
    expect(() => withLock(path, () => undefined, { timeoutMs: 100 })).toThrow(/locked by process/);
    expect(existsSync(path)).toBe(true);
  });
});
