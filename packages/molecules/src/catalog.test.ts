import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findMolecule, listMolecules, shippedMoleculesDir } from './catalog.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

const molecule = (name: string, note: string) => `## Molecule: ${name}\n${note}\n\n## Step: only\nDo it.\n`;

describe('the molecule catalog', () => {
  it('searches the rig, its .beads, the town, then the shipped templates; the first of a name wins', () => {
    const rig = mkdtempSync(join(tmpdir(), 'catalog-rig-'));
    const town = mkdtempSync(join(tmpdir(), 'catalog-town-'));
    roots.push(rig, town);
    mkdirSync(join(rig, 'molecules'));
    mkdirSync(join(rig, '.beads', 'molecules'), { recursive: true });
    mkdirSync(join(town, 'molecules'));
    writeFileSync(join(rig, 'molecules', 'engineer-in-box.md'), molecule('engineer-in-box', 'the rig overrides the shipped one'));
    writeFileSync(join(rig, '.beads', 'molecules', 'triage.md'), molecule('triage', 'from the rig store'));
    writeFileSync(join(town, 'molecules', 'triage.md'), molecule('triage', 'from the town'));
    writeFileSync(join(town, 'molecules', 'standup.md'), molecule('standup', 'from the town'));
    writeFileSync(join(town, 'molecules', 'broken.md'), '## Step: orphan\nno header\n');
    const options = { rigRoot: rig, townRoot: town };
    const entries = listMolecules(options);
    const row = (name: string) => entries.filter((e) => e.name === name).map((e) => [e.source, e.shadowedBy ? 'shadowed' : 'used']);
    expect(row('engineer-in-box')).toEqual([['rig', 'used'], ['shipped', 'shadowed']]);
    expect(row('triage')).toEqual([['rig-beads', 'used'], ['town', 'shadowed']]);
    expect(row('standup')).toEqual([['town', 'used']]);
    expect(row('bug-fix')).toEqual([['shipped', 'used']]);
    expect(entries.find((e) => e.name === 'broken')!.problems.map((p) => p.message)).toContain('a step before the "## Molecule: <name>" header');
    expect(findMolecule('engineer-in-box', options)!.molecule!.description).toBe('the rig overrides the shipped one');
    expect(findMolecule('nothing', options)).toBeUndefined();
    expect(shippedMoleculesDir()).toMatch(/templates[/\\]molecules$/);
  });
});
