import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, initStore, isWispId, listBeads, wispStoreDir } from '@gastown/beads';
import { pourMolecule } from './pour.js';
import { closeStep } from './close.js';
import { burnWisp, gcWisps, squashWisp } from './wisp.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

function rig() {
  const root = mkdtempSync(join(tmpdir(), 'wisps-'));
  roots.push(root);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: root, encoding: 'utf8' });
  git('init', '-q');
  const { dir } = initStore(root, 'gt');
  git('add', '-A');
  git('commit', '-qm', 'init');
  const store = BeadStore.open(dir);
  const wisps = BeadStore.open(wispStoreDir(dir, 'gt', true)!);
  return { root, git, store, wisps, catalog: { rigRoot: root } };
}

describe('wisps', () => {
  it('live apart from the committed log and are ignored by git', () => {
    const { git, store, wisps, catalog } = rig();
    const poured = pourMolecule(wisps, 'alice', 'engineer-in-box', { catalog, wisp: true });
    expect(isWispId('gt', poured.molecule.id)).toBe(true);
    expect(poured.steps.every((s) => isWispId('gt', s.id))).toBe(true);
    closeStep(wisps, 'alice', poured.steps[0]!.id);
    expect(store.logFiles()).toEqual([]); // nothing written to the committed store
    expect(readFileSync(wisps.logPath, 'utf8')).toContain(poured.molecule.id);
    expect(git('status', '--porcelain')).toBe('');
    expect(listBeads(store, { all: true })).toEqual([]);
  });

  it('squash into one permanent closed digest bead and leave nothing behind', () => {
    const { store, wisps, catalog } = rig();
    const poured = pourMolecule(wisps, 'alice', 'engineer-in-box', { catalog, wisp: true });
    closeStep(wisps, 'alice', poured.steps[0]!.id);
    const { digest, burned } = squashWisp(store, wisps, 'alice', poured.molecule.id, 'design settled');
    expect(burned).toBe(5);
    expect(digest).toMatchObject({ title: 'Digest: engineer-in-box', status: 'closed', labels: ['digest'], metadata: { digest_of: poured.molecule.id, done: 1, total: 4 } });
    expect(digest.description).toMatch(/^design settled\n\n- design: closed in \d+ s\n- implement: open\n- test: open\n- submit: open$/);
    expect(listBeads(wisps, { all: true })).toEqual([]);
    expect(() => wisps.get(poured.molecule.id)).toThrow(/no bead/);
    expect(store.logFiles().map((n) => readFileSync(join(store.dir, n), 'utf8')).join('').trim().split('\n')).toHaveLength(1);
  });

  it('burn one wisp and keep the others; collect those untouched past the age', () => {
    const { wisps, catalog } = rig();
    const a = pourMolecule(wisps, 'alice', 'engineer-in-box', { catalog, wisp: true });
    const b = pourMolecule(wisps, 'alice', 'code-review', { catalog, wisp: true });
    expect(burnWisp(wisps, a.molecule.id)).toMatchObject({ beads: 5 });
    expect(listBeads(wisps, { all: true, limit: 0 }).map((x) => x.id).sort()).toEqual([b.molecule.id, ...b.steps.map((s) => s.id)].sort());
    expect(gcWisps(wisps, '1h')).toEqual([]);
    expect(gcWisps(wisps, '1h', Date.now() + 2 * 3_600_000)).toEqual([b.molecule.id]);
    expect(listBeads(wisps, { all: true })).toEqual([]);
    expect(() => burnWisp(wisps, b.molecule.id)).toThrow(/no bead/);
  });
});
