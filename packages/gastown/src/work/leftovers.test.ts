// The claim a sling holds on the name it takes, told from one a killed sling left.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Town } from '../model.js';
import { claimName, slingRunning } from './leftovers.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

function town(): Town {
  const root = mkdtempSync(join(tmpdir(), 'gastown-leftovers-'));
  roots.push(root);
  return { root, config: { name: 'unit', format: 1, created_at: '2026-01-01T00:00:00.000Z' }, rigs: [] };
}

describe('a sling claim', () => {
  it('says a sling is making the polecat while its process lives, and is dropped by that sling alone', () => {
    const t = town();
    expect(slingRunning(t, 'alpha', 'nux')).toBe(false);
    const drop = claimName(t, 'alpha', 'nux');
    expect(slingRunning(t, 'alpha', 'nux')).toBe(true);
    expect(slingRunning(t, 'alpha', 'slit')).toBe(false);
    drop();
    expect(slingRunning(t, 'alpha', 'nux')).toBe(false);
    expect(existsSync(join(t.root, '.gt', 'slings', 'alpha', 'nux'))).toBe(false);
  });

  it("of a process that is gone says no sling is making it; another machine's is taken as alive; a newer claim is not dropped by an older one", () => {
    const t = town();
    const drop = claimName(t, 'alpha', 'nux');
    const file = join(t.root, '.gt', 'slings', 'alpha', 'nux');
    const gone = spawnSync('true').pid!; // exited and reaped
    writeFileSync(file, `${gone} ${hostname()}\n`);
    expect(slingRunning(t, 'alpha', 'nux')).toBe(false);
    writeFileSync(file, `${gone} some-other-host\n`);
    expect(slingRunning(t, 'alpha', 'nux')).toBe(true);
    drop(); // not its claim any more
    expect(existsSync(file)).toBe(true);
  });
});
