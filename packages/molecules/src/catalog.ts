// Where molecules come from, first match by name wins: the rig repository's molecules/, its .beads/molecules/,
// the town's molecules/ (when there is a town), then the templates shipped with Gas Town.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMolecule } from './parse.js';
import type { Molecule, Problem } from './types.js';

export type MoleculeSource = 'rig' | 'rig-beads' | 'town' | 'shipped';

export interface CatalogEntry {
  name: string;
  file: string;
  source: MoleculeSource;
  /** Set when an earlier source has a molecule of the same name. */
  shadowedBy?: string;
  molecule?: Molecule;
  problems: Problem[];
}

export interface CatalogOptions {
  /** The rig repository's root (the directory holding .beads/). */
  rigRoot?: string;
  /** The town's root, when the rig is part of one. */
  townRoot?: string;
  /** The shipped templates; found beside the installed code by default. */
  shippedDir?: string;
}

/** The shipped templates/molecules, found by walking up from this module (in dist or in a bundle). */
export function shippedMoleculesDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'templates', 'molecules');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function catalogDirs(options: CatalogOptions): { dir: string; source: MoleculeSource }[] {
  const dirs: { dir: string; source: MoleculeSource }[] = [];
  if (options.rigRoot) {
    dirs.push({ dir: join(resolve(options.rigRoot), 'molecules'), source: 'rig' });
    dirs.push({ dir: join(resolve(options.rigRoot), '.beads', 'molecules'), source: 'rig-beads' });
  }
  if (options.townRoot) dirs.push({ dir: join(resolve(options.townRoot), 'molecules'), source: 'town' });
  const shipped = options.shippedDir ?? shippedMoleculesDir();
  if (shipped) dirs.push({ dir: shipped, source: 'shipped' });
  return dirs;
}

export function readMoleculeFile(file: string): { molecule?: Molecule; problems: Problem[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return { problems: [{ file, line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
  }
  return parseMolecule(bytes, file);
}

/** Every molecule file in every source, in search order; later ones of the same name are marked shadowed. */
export function listMolecules(options: CatalogOptions): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  const firstByName = new Map<string, string>();
  for (const { dir, source } of catalogDirs(options)) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.md')).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      const file = join(dir, f);
      const { molecule, problems } = readMoleculeFile(file);
      const name = molecule?.name ?? f.replace(/\.md$/, '');
      const first = firstByName.get(name);
      entries.push({ name, file, source, ...(first ? { shadowedBy: first } : {}), ...(molecule ? { molecule } : {}), problems });
      if (!first) firstByName.set(name, file);
    }
  }
  return entries;
}

/** The molecule that a name means in this catalog (the first of that name), or undefined. */
export function findMolecule(name: string, options: CatalogOptions): CatalogEntry | undefined {
  return listMolecules(options).find((e) => e.name === name && !e.shadowedBy);
}
