// A town: a directory holding its config (town.json), the registry of its rigs (rigs.json), the town-level
// store for cross-rig work and mail (.beads/, prefix hq) and a molecules/ folder. Installing twice changes
// nothing that is already there.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BeadsError, ensureLine, initStore } from '@gastown/beads';
import { initRepository } from '../git-cli.js';
import { RIGS_FILE, TOWN_FILE, TOWN_PREFIX, type Town, type TownConfig } from '../model.js';
import { readRigEntries, readTownConfig } from './town-files.js';

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;

export function validTownName(name: string): string {
  if (!NAME.test(name)) throw new BeadsError('invalid_input', `invalid town name ${JSON.stringify(name)}: use 1-40 lower-case letters, digits, - and _, starting with a letter`);
  return name;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

export interface InstallResult {
  town: Town;
  created: string[];
}

export function installTown(dir: string, options: { name?: string } = {}): InstallResult {
  const root = resolve(dir);
  const created: string[] = [];
  const existing = existsSync(join(root, TOWN_FILE)) ? readTownConfig(join(root, TOWN_FILE)) : null;
  const name = validTownName(options.name ?? existing?.name ?? basename(root).toLowerCase().replace(/[^a-z0-9_-]/g, '-').replace(/^[^a-z]+/, '') ?? 'town');
  if (existing && options.name && existing.name !== options.name) {
    throw new BeadsError('conflict', `${root} is already the town "${existing.name}"`, { town: existing.name });
  }
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(root, '.git'))) {
    initRepository(root);
    created.push('.git');
  }
  if (!existing) {
    writeJsonAtomic(join(root, TOWN_FILE), { name, format: 1, created_at: new Date().toISOString() } satisfies TownConfig);
    created.push(TOWN_FILE);
  }
  if (!existsSync(join(root, RIGS_FILE))) {
    writeJsonAtomic(join(root, RIGS_FILE), { rigs: [] });
    created.push(RIGS_FILE);
  }
  if (!existsSync(join(root, '.beads', 'config.json'))) {
    initStore(root, TOWN_PREFIX);
    created.push('.beads');
  }
  if (!existsSync(join(root, 'molecules'))) {
    mkdirSync(join(root, 'molecules'));
    created.push('molecules');
  }
  if (ignoreInTown(root, TOWN_IGNORED)) created.push('.gitignore');
  return { town: readTown(root), created };
}

/** What the town's repository never tracks: gt's own files, and the mayor's workspace. Rigs are added per rig. */
const TOWN_IGNORED = ['/.gt/', '/mayor/'];

/**
 * Adds paths to the town repository's .gitignore (rigs are repositories of their own; .gt/ holds sockets, locks
 * and shims). True when the file was created.
 */
export function ignoreInTown(root: string, paths: string[]): boolean {
  const file = join(root, '.gitignore');
  const existed = existsSync(file);
  for (const p of paths) ensureLine(file, p);
  return !existed;
}

/** Removes a path from the town repository's .gitignore. */
export function unignoreInTown(root: string, path: string): void {
  const file = join(root, '.gitignore');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const kept = text.split('\n').filter((l) => l !== path);
  if (kept.length !== text.split('\n').length) writeFileSync(file, kept.join('\n'));
}

/** The town-level store (prefix hq): cross-rig work and mail. */
export const townStoreDir = (town: Town): string => join(town.root, '.beads');

/** The town at root: its town.json and rigs.json checked (one that is not what gt writes is refused, naming it). */
export function readTown(root: string): Town {
  const config = readTownConfig(join(root, TOWN_FILE));
  const rigs = existsSync(join(root, RIGS_FILE)) ? readRigEntries(join(root, RIGS_FILE)) : [];
  return { root, config, rigs };
}

/** The town around a directory (walking up to a town.json), or null. */
export function findTown(from: string): Town | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, TOWN_FILE))) return readTown(dir);
    if (dirname(dir) === dir) return null;
  }
}

export function requireTown(from: string): Town {
  const town = findTown(from);
  if (!town) throw new BeadsError('no_store', `no town found from ${from} upward; create one with gt install DIR`);
  return town;
}
