// Reading the town's own files, town.json and rigs.json, checked before anything uses them. Every gt and bd
// command inside a town reads them, so one cut short (a write killed, a merge's conflict markers, an editor's
// slip) must be one clear line naming the file, not an internal error deep in whatever used it first.
//
// As with a store's config.json (BeadStore.open): a file that is not JSON is `corrupt_log` (exit 6, what a
// corrupt store is), JSON of the wrong shape is `invalid_input` (exit 4, what a config.json failing its schema is).
import { readFileSync } from 'node:fs';
import { BeadsError, PREFIX_PATTERN } from '@gastown/beads';
import type { RigEntry, TownConfig } from '../model.js';

/** A rig's name: its directory in the town, and part of its agents' addresses and session names. */
export const RIG_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

/** The file's JSON; its text not JSON (empty, cut short) is corrupt_log naming the file. */
function readJsonFile(path: string): unknown {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, ''); // an editor's byte order mark is not content
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(err as Error).message})`;
    throw new BeadsError('corrupt_log', `${path}: ${why}; a write was cut short? restore it from git or fix it by hand`, { file: path });
  }
}

const badShape = (path: string, problem: string): BeadsError => new BeadsError('invalid_input', `${path}: ${problem}; fix it by hand or restore it from git`, { file: path });

/** town.json: an object with the town's name (a string); runtimes, when there, an object. */
export function readTownConfig(path: string): TownConfig {
  const value = readJsonFile(path);
  if (!isObject(value)) throw badShape(path, `it must hold a JSON object ({"name": ..., "format": 1, ...}), not ${shown(value)}`);
  if (typeof value.name !== 'string' || value.name === '') throw badShape(path, `"name" must be the town's name (a string), not ${value.name === undefined ? 'missing' : shown(value.name)}`);
  if (value.format !== undefined && !Number.isInteger(value.format)) throw badShape(path, `"format" must be a whole number, not ${shown(value.format)}`);
  if (value.runtimes !== undefined && !isObject(value.runtimes)) throw badShape(path, `"runtimes" must be an object, not ${shown(value.runtimes)}`);
  return value as unknown as TownConfig;
}

/** rigs.json: an object whose "rigs" is an array of entries, each with a valid name and prefix and a path. */
export function readRigEntries(path: string): RigEntry[] {
  const value = readJsonFile(path);
  if (!isObject(value)) throw badShape(path, `it must hold a JSON object ({"rigs": [...]}), not ${shown(value)}`);
  if (!Array.isArray(value.rigs)) throw badShape(path, `"rigs" must be an array of rigs, not ${value.rigs === undefined ? 'missing' : shown(value.rigs)}`);
  value.rigs.forEach((r: unknown, i: number) => {
    const at = `rigs[${i}]`;
    if (!isObject(r)) throw badShape(path, `${at} must be an object, not ${shown(r)}`);
    // the name is a directory of the town: never a path that leads out of it
    if (typeof r.name !== 'string' || !RIG_NAME.test(r.name)) throw badShape(path, `${at}.name must be a rig's name (1-40 lower-case letters, digits, - and _, starting with a letter), not ${r.name === undefined ? 'missing' : shown(r.name)}`);
    if (typeof r.prefix !== 'string' || !PREFIX_PATTERN.test(r.prefix)) throw badShape(path, `${at}.prefix (rig ${r.name}) must be an id prefix, not ${r.prefix === undefined ? 'missing' : shown(r.prefix)}`);
    for (const key of ['source', 'path', 'added_at']) {
      if (r[key] !== undefined && typeof r[key] !== 'string') throw badShape(path, `${at}.${key} (rig ${r.name}) must be a string, not ${shown(r[key])}`);
    }
  });
  return value.rigs as RigEntry[];
}
