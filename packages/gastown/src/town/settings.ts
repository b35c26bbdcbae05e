// Rig settings: one mechanism for every subsystem's knobs (the refinery's gates and merge style, the kernel's
// dispatch, setup hook and witness thresholds). A rig's repository commits `.gastown/settings.json`, so every town that works on it
// gates the same way; a town may override any key in `settings/<rig>.json` under its root, in the same format.
// The effective value of a key is the town's, else the repository's, else the default.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BeadsError, parseDuration, withLock } from '@gastown/beads';
import type { Town } from '../model.js';
import { rigPaths } from './rigs.js';
import { writeJsonAtomic } from './town.js';

/** Where the repository's settings live, relative to its root. */
export const RIG_SETTINGS_FILE = '.gastown/settings.json';

export type MergeStyle = 'rebase' | 'merge' | 'squash' | 'pr';
export const MERGE_STYLES: MergeStyle[] = ['rebase', 'merge', 'squash', 'pr'];

export interface Gate {
  /** How runs are named in the merge request's record: the command unless given. */
  name: string;
  /** A shell command line, run in the candidate's tree. */
  run: string;
  /** A run longer than this is stopped and counts as a gate timeout. */
  timeout_ms: number;
}

export interface RigSettings {
  gates: Gate[];
  merge: MergeStyle;
  batch: number;
  max_wait_ms: number;
  max_reworks: number;
  gate_timeout_ms: number;
  /** The kernel's: how ready work of the rig starts (auto: slung by the daemon; mayor: the mayor is told; off). */
  dispatch: DispatchMode;
  max_polecats: number;
  /** Commands run in a new polecat's worktree before its session starts; one failing undoes the sling. */
  setup: SetupCommand[];
  /** The witness: no progress for this long is a stall. */
  stall_after_ms: number;
  /** The witness never acts on a polecat started (or restarted) less than this long ago. */
  spawn_grace_ms: number;
  /** After this many restarts on the same bead the witness releases the work. */
  max_restarts: number;
}

export type DispatchMode = 'auto' | 'mayor' | 'off';
export const DISPATCH_MODES: DispatchMode[] = ['auto', 'mayor', 'off'];

export interface SetupCommand {
  run: string;
  timeout_ms: number;
}

type Source = 'default' | 'repository' | 'town';

interface KeySpec {
  describe: string;
  default: unknown;
  /** Checks a value as written (JSON) and returns it unchanged, or throws naming what is wrong. */
  check: (value: unknown, where: string) => void;
}

const bad = (key: string, where: string, what: string): BeadsError => new BeadsError('invalid_input', `invalid ${key} in ${where}: ${what}`, { key });

const integer = (key: string, min: number, max: number) => (value: unknown, where: string): void => {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw bad(key, where, `${JSON.stringify(value)} is not a whole number from ${min} to ${max}`);
};

const duration = (key: string) => (value: unknown, where: string): void => {
  if (typeof value !== 'string') throw bad(key, where, `${JSON.stringify(value)} is not a duration such as 30s, 10m or 1h`);
  try {
    parseDuration(value, key);
  } catch (err) {
    // parseDuration names the key and the value itself: say only what is wrong with it
    throw bad(key, where, `${JSON.stringify(value)}: ${(err as Error).message.replace(`invalid ${key} ${JSON.stringify(value)}: `, '')}`);
  }
};

function checkGates(value: unknown, where: string): void {
  if (!Array.isArray(value)) throw bad('gates', where, 'give a list of commands, each a string or {"name", "run", "timeout"}');
  value.forEach((g, i) => {
    const at = `gates[${i}]`;
    if (typeof g === 'string') {
      if (!g.trim()) throw bad('gates', where, `${at} is an empty command`);
      return;
    }
    if (!g || typeof g !== 'object' || Array.isArray(g)) throw bad('gates', where, `${at} is neither a command nor {"name", "run", "timeout"}`);
    const o = g as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !['name', 'run', 'timeout'].includes(k));
    if (unknown.length) throw bad('gates', where, `${at} has unknown key(s) ${unknown.join(', ')} (known: name, run, timeout)`);
    if (typeof o.run !== 'string' || !o.run.trim()) throw bad('gates', where, `${at} needs "run", a command line`);
    if (o.name !== undefined && (typeof o.name !== 'string' || !o.name.trim())) throw bad('gates', where, `${at}.name must be a non-empty string`);
    if (o.timeout !== undefined) duration(`gates[${i}].timeout`)(o.timeout, where);
  });
}

function checkSetup(value: unknown, where: string): void {
  if (!Array.isArray(value)) throw bad('setup', where, 'give a list of commands, each a string or {"run", "timeout"}');
  value.forEach((c, i) => {
    const at = `setup[${i}]`;
    if (typeof c === 'string') {
      if (!c.trim()) throw bad('setup', where, `${at} is an empty command`);
      return;
    }
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw bad('setup', where, `${at} is neither a command nor {"run", "timeout"}`);
    const o = c as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !['run', 'timeout'].includes(k));
    if (unknown.length) throw bad('setup', where, `${at} has unknown key(s) ${unknown.join(', ')} (known: run, timeout)`);
    if (typeof o.run !== 'string' || !o.run.trim()) throw bad('setup', where, `${at} needs "run", a command line`);
    if (o.timeout !== undefined) duration(`setup[${i}].timeout`)(o.timeout, where);
  });
}

/** Every setting there is: the refinery's (gates to gate_timeout), then the kernel's (dispatch to max_restarts). */
export const SETTINGS: Record<string, KeySpec> = {
  gates: { describe: 'Commands the refinery runs on each candidate; all must pass for it to land', default: [], check: checkGates },
  merge: {
    describe: 'How a merge request lands: rebase (default), merge (a merge commit), squash, or pr (a pull request through gh)',
    default: 'rebase',
    check: (v, where) => {
      if (!MERGE_STYLES.includes(v as MergeStyle)) throw bad('merge', where, `${JSON.stringify(v)} is not one of ${MERGE_STYLES.join(', ')}`);
    },
  },
  batch: { describe: 'Up to this many queued merge requests are stacked and gated once (bisected when they fail)', default: 1, check: integer('batch', 1, 64) },
  max_wait: { describe: 'A merge request queued longer than this goes ahead of every other', default: '1h', check: duration('max_wait') },
  max_reworks: { describe: 'After this many reworks a merge request is rejected and its bead released', default: 3, check: integer('max_reworks', 0, 100) },
  gate_timeout: { describe: 'A gate run longer than this (unless the gate gives its own timeout) is stopped and fails', default: '10m', check: duration('gate_timeout') },
  dispatch: {
    describe: "How ready work starts: auto (the daemon slings it while polecats are free), mayor (the mayor is mailed once per newly ready bead), off",
    default: 'mayor',
    check: (v, where) => {
      if (!DISPATCH_MODES.includes(v as DispatchMode)) throw bad('dispatch', where, `${JSON.stringify(v)} is not one of ${DISPATCH_MODES.join(', ')}`);
    },
  },
  max_polecats: { describe: 'Dispatch slings work only while fewer than this many polecats are working', default: 4, check: integer('max_polecats', 1, 64) },
  setup: { describe: "Commands run in a new polecat's worktree before its session starts (copy env files, install); one failing undoes the sling", default: [], check: checkSetup },
  stall_after: { describe: 'The witness takes a polecat with no operation on its molecule and an unchanged screen for this long as stalled', default: '15m', check: duration('stall_after') },
  spawn_grace: { describe: 'The witness never acts on a polecat started or restarted less than this long ago', default: '60s', check: duration('spawn_grace') },
  max_restarts: { describe: 'After this many restarts on the same bead the witness releases the work (pushed, bead reopened, mayor and overseer mailed)', default: 3, check: integer('max_restarts', 0, 100) },
};

/** A setting's spec; only the table's own keys are settings (not constructor, toString or __proto__). */
const settingSpec = (key: string): KeySpec | undefined => (Object.hasOwn(SETTINGS, key) ? SETTINGS[key] : undefined);

function readSettingsFile(path: string, where: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  return parseSettingsText(readFileSync(path, 'utf8'), where);
}

/** The settings a file holds, checked key by key; an unknown key or a bad value is refused naming the file. */
export function parseSettingsText(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BeadsError('invalid_input', `${where} is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BeadsError('invalid_input', `${where} must hold a JSON object of settings`);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const spec = settingSpec(key);
    if (!spec) throw new BeadsError('invalid_input', `unknown setting ${JSON.stringify(key)} in ${where} (known: ${Object.keys(SETTINGS).join(', ')})`, { key });
    spec.check(v, where);
  }
  return value as Record<string, unknown>;
}

export const townSettingsPath = (town: Town, rig: string): string => join(town.root, 'settings', `${rig}.json`);

export interface SettingRow {
  key: string;
  value: unknown;
  source: Source;
  describe: string;
}

export interface SettingsOptions {
  /** The repository's settings file as text (the refinery reads it from the target's tip); else the rig clone's working tree. */
  committed?: string | null;
}

function requireRigName(town: Town, rig: string): void {
  if (!town.rigs.some((r) => r.name === rig)) throw new BeadsError('not_found', `no rig ${rig} in this town (gt rig list)`, { rig });
}

/** Each setting's effective value and where it comes from. */
export function settingRows(town: Town, rig: string, options: SettingsOptions = {}): SettingRow[] {
  requireRigName(town, rig);
  const repoWhere = `${rig}'s ${RIG_SETTINGS_FILE}`;
  const repo = options.committed !== undefined ? (options.committed === null ? {} : parseSettingsText(options.committed, repoWhere)) : readSettingsFile(join(rigPaths(town, rig).clone, RIG_SETTINGS_FILE), repoWhere);
  const townFile = townSettingsPath(town, rig);
  const local = readSettingsFile(townFile, townFile);
  return Object.entries(SETTINGS).map(([key, spec]) => {
    if (Object.hasOwn(local, key)) return { key, value: local[key], source: 'town' as const, describe: spec.describe };
    if (Object.hasOwn(repo, key)) return { key, value: repo[key], source: 'repository' as const, describe: spec.describe };
    return { key, value: spec.default, source: 'default' as const, describe: spec.describe };
  });
}

/** The effective settings, ready to use (durations in milliseconds, gates normalised). */
export function rigSettings(town: Town, rig: string, options: SettingsOptions = {}): RigSettings {
  const v = Object.fromEntries(settingRows(town, rig, options).map((r) => [r.key, r.value])) as Record<string, unknown>;
  const gateTimeout = parseDuration(v.gate_timeout as string, 'gate_timeout');
  const gates = (v.gates as (string | { name?: string; run: string; timeout?: string })[]).map((g): Gate => {
    const o = typeof g === 'string' ? { run: g } : g;
    return { name: o.name ?? o.run, run: o.run, timeout_ms: o.timeout ? parseDuration(o.timeout, 'gate timeout') : gateTimeout };
  });
  return {
    gates,
    merge: v.merge as MergeStyle,
    batch: v.batch as number,
    max_wait_ms: parseDuration(v.max_wait as string, 'max_wait'),
    max_reworks: v.max_reworks as number,
    gate_timeout_ms: gateTimeout,
    dispatch: v.dispatch as DispatchMode,
    max_polecats: v.max_polecats as number,
    setup: (v.setup as (string | { run: string; timeout?: string })[]).map((c): SetupCommand => {
      const o = typeof c === 'string' ? { run: c } : c;
      return { run: o.run, timeout_ms: o.timeout ? parseDuration(o.timeout, 'setup timeout') : 10 * 60_000 };
    }),
    stall_after_ms: parseDuration(v.stall_after as string, 'stall_after'),
    spawn_grace_ms: parseDuration(v.spawn_grace as string, 'spawn_grace'),
    max_restarts: v.max_restarts as number,
  };
}

/** A value as given on the command line: JSON, else a bare word taken as a string. */
export function parseSettingValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    if (/^[\w./:@+-]+$/.test(text.trim())) return text.trim();
    throw new BeadsError('invalid_input', `${JSON.stringify(text)} is neither JSON nor a bare word; quote a string with spaces as JSON ('"npm test"')`);
  }
}

/** Sets (or, with value undefined, removes) a town override of one key; checked before anything is written. */
export function setTownSetting(town: Town, rig: string, key: string, value: unknown): SettingRow {
  requireRigName(town, rig);
  const spec = settingSpec(key);
  if (!spec) throw new BeadsError('invalid_input', `unknown setting ${JSON.stringify(key)} (known: ${Object.keys(SETTINGS).join(', ')})`, { key });
  const path = townSettingsPath(town, rig);
  if (value !== undefined) spec.check(value, 'the value given');
  settingRows(town, rig); // a broken file (the repository's or the town's) is refused before anything is written
  mkdirSync(dirname(path), { recursive: true });
  const locks = join(town.root, '.gt', 'locks');
  mkdirSync(locks, { recursive: true });
  withLock(join(locks, `settings-${rig}.lock`), () => {
    const current = readSettingsFile(path, path);
    if (value === undefined) delete current[key];
    else current[key] = value;
    writeJsonAtomic(path, current);
  }, { what: `${rig}'s town settings` });
  return settingRows(town, rig).find((r) => r.key === key)!;
}
