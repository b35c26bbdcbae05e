import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeadStore, BeadsError, initStore, type Op } from '@gastown/beads';
import { closeSteps } from './close.js';
import { pourMolecule } from './pour.js';

const BEADS = fileURLToPath(new URL('../../beads/dist/index.js', import.meta.url));
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A store (its own git repository, prefix given) with a molecule `m` poured: the store, the molecule, its steps. */
function poured(prefix: string, molecule: string): { root: string; store: BeadStore; molecule: string; steps: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'close-'));
  roots.push(root);
  execFileSync('git', ['init', '-q', root]);
  const { dir } = initStore(root, prefix);
  mkdirSync(join(root, 'molecules'));
  writeFileSync(join(root, 'molecules', 'm.md'), `## Molecule: m\nM.\n\n${molecule}`);
  const store = BeadStore.open(dir);
  const p = pourMolecule(store, 'a', 'm', { catalog: { rigRoot: root } });
  return { root, store, molecule: p.molecule.id, steps: p.steps.map((s) => s.id) };
}

const log = (store: BeadStore): string => readFileSync(store.logPath, 'utf8');
const opsAfter = (store: BeadStore, before: string): Op[] => log(store).slice(before.length).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);

function refusal(run: () => unknown): BeadsError {
  try {
    run();
  } catch (err) {
    return err as BeadsError;
  }
  throw new Error('expected a refusal');
}

describe('closeSteps', () => {
  it('closes the steps and the molecules they complete in one write: a molecule given too closes once', () => {
    const { root, store, molecule, steps } = poured('gt', '## Step: a\nA.\nGate: true\n\n## Step: b\nB.\n');
    const before = log(store);
    const results = closeSteps('a', [...steps, molecule, steps[0]!].map((id) => ({ store, id })), { cwd: root });
    expect(results.map((r) => [r.bead.id, r.bead.status, r.alsoClosed])).toEqual([[steps[0], 'closed', []], [steps[1], 'closed', []], [molecule, 'closed', []]]);
    const written = opsAfter(store, before);
    expect(written.map((o) => [o.kind, o.bead])).toEqual([['gate', steps[0]], ['close', steps[0]], ['close', steps[1]], ['close', molecule]]);
    expect(new Set(written.map((o) => o.ts)).size).toBe(1);
  });

  it('a gate failing in one store closes nothing in another, and both record the gates that ran', () => {
    const one = poured('gt', '## Step: a\nA.\nGate: echo one-ok\n');
    const two = poured('hq', '## Step: b\nB.\nGate: echo two-bad; exit 2\n');
    const [logOne, logTwo] = [log(one.store), log(two.store)];
    const error = refusal(() => closeSteps('a', [{ store: one.store, id: one.steps[0]! }, { store: two.store, id: two.steps[0]! }], { cwd: one.root }));
    expect([error.code, error.message]).toEqual(['gate_failed', `gate failed on ${two.steps[0]}, so none of the 2 beads closes: echo two-bad; exit 2 (exit 2)\ntwo-bad`]);
    expect(error.details).toMatchObject({ id: two.steps[0], ids: [one.steps[0], two.steps[0]], gate: { exit_code: 2 } });
    expect(opsAfter(one.store, logOne).map((o) => [o.kind, (o as { passed?: boolean }).passed])).toEqual([['gate', true]]);
    expect(opsAfter(two.store, logTwo).map((o) => [o.kind, (o as { passed?: boolean }).passed])).toEqual([['gate', false]]);
    expect([one.store.get(one.steps[0]!).status, two.store.get(two.steps[0]!).status, one.store.get(one.molecule).status]).toEqual(['open', 'open', 'open']);
  });

  it('refuses, writing nothing, when a step is given other gates while the gates run', () => {
    // b's gate (a real process) replaces a's gates before the write
    const { root, store, steps } = poured('gt', '## Step: a\nA.\nGate: true\n\n## Step: b\nB.\nGate: node change.mjs\n');
    writeFileSync(join(root, 'change.mjs'), `import { BeadStore, updateBead } from ${JSON.stringify(BEADS)};\nconst store = BeadStore.open(${JSON.stringify(store.dir)});\nupdateBead(store, 'other', ${JSON.stringify(steps[0])}, { metadata: { ...store.get(${JSON.stringify(steps[0])}).metadata, gates: ['false'] } });\n`);
    const before = log(store);
    const error = refusal(() => closeSteps('a', steps.map((id) => ({ store, id })), { cwd: root }));
    expect([error.code, error.message]).toEqual(['conflict', `${steps[0]} was given other gates while the gates ran; nothing is closed`]);
    expect(opsAfter(store, before).map((o) => [o.kind, o.actor])).toEqual([['metadata', 'other']]);
    expect(steps.map((id) => store.get(id).status)).toEqual(['open', 'open']);
  });

  it('with --force and a reason runs no gate and records the override on each gated step', () => {
    const { root, store, molecule, steps } = poured('gt', '## Step: a\nA.\nGate: touch ran\n\n## Step: b\nB.\nGate: false\n');
    const before = log(store);
    const results = closeSteps('a', steps.map((id) => ({ store, id })), { cwd: root, force: true, reason: 'known' });
    expect(results.map((r) => [r.bead.status, r.gates])).toEqual([['closed', []], ['closed', []]]);
    expect(results[1]!.alsoClosed).toEqual([molecule]);
    const written = opsAfter(store, before) as (Op & { forced?: boolean; command?: string })[];
    expect(written.filter((o) => o.kind === 'gate').map((o) => [o.bead, o.command, o.forced])).toEqual([[steps[0], 'touch ran', true], [steps[1], 'false', true]]);
    expect(() => readFileSync(join(root, 'ran'))).toThrow();
  });
});
