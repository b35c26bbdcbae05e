import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, claimBead, closeBead, initStore, releaseBead } from '@gastown/beads';
import { pourMolecule } from './pour.js';
import { moleculeStatus } from './status.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('moleculeStatus', () => {
  it('times each closed step from its first claim (else its creation) to its close, from the store\'s history', () => {
    const root = mkdtempSync(join(tmpdir(), 'status-'));
    roots.push(root);
    execFileSync('git', ['init', '-q', root]);
    const { dir } = initStore(root, 'gt');
    mkdirSync(join(root, 'molecules'));
    writeFileSync(join(root, 'molecules', 'm.md'), '## Molecule: m\nM.\n\n## Step: a\nA.\n\n## Step: b\nB.\n\n## Step: c\nC.\n');
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = BeadStore.open(dir, { now: () => new Date(now) });
    const at = (seconds: number): void => void (now = Date.parse('2026-01-01T00:00:00Z') + seconds * 1000);
    const [a, b, c] = pourMolecule(store, 'x', 'm', { catalog: { rigRoot: root } }).steps.map((s) => s.id);
    at(10);
    claimBead(store, 'alice', a!);
    at(15);
    releaseBead(store, 'alice', a!);
    at(20);
    claimBead(store, 'bob', a!); // a later claim: the step started at the first
    at(70);
    closeBead(store, 'bob', a!);
    closeBead(store, 'bob', b!); // never claimed: from its creation
    const status = moleculeStatus(store, pourMoleculeRoot(store, a!));
    const byStep = new Map(status.steps.map((s) => [s.step, s]));
    expect(byStep.get('a')!.took_ms).toBe(60_000);
    expect(byStep.get('b')!.took_ms).toBe(70_000);
    expect(byStep.get('c')!.took_ms).toBeUndefined();
    expect(byStep.get('c')).toMatchObject({ id: c, status: 'open' });
    expect(moleculeStatus(store, status.id, { timings: false }).steps.every((s) => s.took_ms === undefined)).toBe(true);
  });
});

function pourMoleculeRoot(store: BeadStore, step: string): string {
  return store.get(step).dependencies!.find((d) => d.type === 'parent-child')!.depends_on_id;
}
