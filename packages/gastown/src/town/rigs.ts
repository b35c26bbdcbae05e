// Rigs: project repositories in a town. Each has a directory `<town>/<name>/` holding the canonical clone
// (`main/`, which holds the rig's .beads/) and places for its agents' work (`polecats/`, `refinery/`).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BeadsError, PREFIX_PATTERN, initStore, withLock } from '@gastown/beads';
import { clone, probeRepository, unmergedWork } from '../git-cli.js';
import { RIGS_FILE, TOWN_PREFIX, type RigEntry, type Town } from '../model.js';
import { ignoreInTown, readTown, unignoreInTown, writeJsonAtomic } from './town.js';
import { RIG_NAME } from './town-files.js';
const RESERVED = new Set(['hq', 'molecules', 'polecats', 'refinery', 'mayor', 'town']);

export function rigPaths(town: Town, name: string): { dir: string; clone: string; store: string; polecats: string; refinery: string } {
  const dir = join(town.root, name);
  const clone = join(dir, 'main');
  return { dir, clone, store: join(clone, '.beads'), polecats: join(dir, 'polecats'), refinery: join(dir, 'refinery') };
}

/**
 * Changes the rig registry (rigs.json, and the town's .gitignore) under the town's rig lock: rig commands at
 * the same time each see the other's change, and none is lost.
 */
function updateRigs<T>(town: Town, change: (rigs: RigEntry[]) => { rigs: RigEntry[]; result: T }): T {
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  return withLock(
    join(locks, 'rigs.lock'),
    () => {
      const { rigs, result } = change(readTown(town.root).rigs);
      writeJsonAtomic(join(town.root, RIGS_FILE), { rigs });
      return result;
    },
    { timeoutMs: 60_000, what: 'the town\'s rig registry' },
  );
}

export interface AddRigOptions {
  prefix?: string;
}

/** Clones a repository into the town as a rig; nothing is left behind when any step fails. */
export function addRig(town: Town, name: string, source: string, options: AddRigOptions = {}): RigEntry {
  if (!RIG_NAME.test(name) || RESERVED.has(name)) {
    throw new BeadsError('invalid_input', `invalid rig name ${JSON.stringify(name)}: use 1-40 lower-case letters, digits, - and _, starting with a letter${RESERVED.has(name) ? ` (and not ${name}, which the town uses)` : ''}`);
  }
  if (town.rigs.some((r) => r.name === name)) throw new BeadsError('conflict', `the town already has a rig named ${name}`, { rig: name });
  if (options.prefix !== undefined && !PREFIX_PATTERN.test(options.prefix)) {
    throw new BeadsError('invalid_input', `invalid prefix ${JSON.stringify(options.prefix)}: use 1-20 lower-case letters, digits or _, starting with a letter`);
  }
  const paths = rigPaths(town, name);
  const exists = (): BeadsError => new BeadsError('conflict', `${paths.dir} already exists; pick another name or move it away`, { rig: name });
  if (existsSync(paths.dir)) throw exists();
  const local = resolve(source);
  const from = existsSync(local) ? local : source;
  const problem = probeRepository(from);
  if (problem) throw new BeadsError('invalid_input', `${source} is not a git repository that can be cloned (${problem})`, { source });
  // Making the directory takes the name: of two adds of one name at the same time, one gets it.
  try {
    mkdirSync(paths.dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    throw err;
  }
  try {
    clone(from, paths.clone);
    const configPath = join(paths.clone, '.beads', 'config.json');
    let prefix: string;
    if (existsSync(configPath)) {
      prefix = (JSON.parse(readFileSync(configPath, 'utf8')) as { prefix: string }).prefix;
      if (options.prefix && options.prefix !== prefix) {
        throw new BeadsError('conflict', `${source} already has a bead store with prefix ${prefix}; add it without --prefix or with --prefix ${prefix}`, { prefix });
      }
    } else prefix = options.prefix ?? name.replace(/[^a-z0-9_]/g, '').slice(0, 20);
    const clashIn = (rigs: RigEntry[]): string | undefined => (prefix === TOWN_PREFIX ? 'the town store' : rigs.find((r) => r.prefix === prefix)?.name);
    const refuseClash = (clash: string): BeadsError => new BeadsError('conflict', `prefix ${prefix} is already used by ${clash}; give this rig another with --prefix`, { prefix });
    const early = clashIn(town.rigs);
    if (early) throw refuseClash(early);
    if (!existsSync(configPath)) initStore(paths.clone, prefix);
    mkdirSync(paths.polecats);
    mkdirSync(paths.refinery);
    const entry: RigEntry = { name, prefix, source, path: relative(town.root, paths.dir), added_at: new Date().toISOString() };
    return updateRigs(town, (rigs) => {
      // asked again of the registry as it is now: another add may have taken the name or prefix meanwhile
      if (rigs.some((r) => r.name === name)) throw new BeadsError('conflict', `the town already has a rig named ${name}`, { rig: name });
      const clash = clashIn(rigs);
      if (clash) throw refuseClash(clash);
      ignoreInTown(town.root, [`/${name}/`]);
      return { rigs: [...rigs, entry], result: entry };
    });
  } catch (err) {
    rmSync(paths.dir, { recursive: true, force: true });
    throw err;
  }
}

export function listRigs(town: Town): (RigEntry & { store: string })[] {
  return town.rigs.map((r) => ({ ...r, store: rigPaths(town, r.name).store }));
}

/** Removes a rig; refuses while its clone or its agents' places hold work not yet pushed, unless forced. */
export function removeRig(town: Town, name: string, options: { force?: boolean } = {}): { removed: string; discarded: string[] } {
  const entry = town.rigs.find((r) => r.name === name);
  if (!entry) throw new BeadsError('not_found', `no rig ${name} in this town (gt rig list)`, { rig: name });
  const paths = rigPaths(town, name);
  const work: string[] = [];
  if (existsSync(paths.clone)) work.push(...unmergedWork(paths.clone).map((w) => `main: ${w}`));
  for (const place of [paths.polecats, paths.refinery]) {
    if (!existsSync(place)) continue;
    for (const child of readdirNames(place)) {
      const dir = join(place, child);
      if (existsSync(join(dir, '.git'))) work.push(...unmergedWork(dir).map((w) => `${relative(paths.dir, dir)}: ${w}`));
    }
  }
  if (work.length && !options.force) {
    throw new BeadsError('conflict', `rig ${name} has unmerged work (${work.join('; ')}): push or merge it, or remove with --force`, { rig: name, work });
  }
  updateRigs(town, (rigs) => {
    unignoreInTown(town.root, `/${name}/`);
    return { rigs: rigs.filter((r) => r.name !== name), result: undefined };
  });
  rmSync(paths.dir, { recursive: true, force: true });
  return { removed: name, discarded: work };
}

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
