// For the hostile-input property test: bd run in-process (the real program: yargs setup, handlers, the one
// error report) with its output captured, a store's state read straight from its logs (not through the
// caches), and the rules every run of a mutating command must keep.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { foldOperations, readOps, type Bead, type Op } from '@gastown/beads';
import { registerBeadCommands } from '../../packages/cli/src/commands/beads.js';
import { registerMoleculeCommands } from '../../packages/cli/src/commands/molecules.js';
import { registerQueryCommands } from '../../packages/cli/src/commands/queries.js';
import { registerRelationCommands } from '../../packages/cli/src/commands/relations.js';
import { registerStoreCommands } from '../../packages/cli/src/commands/store.js';
import { runProgram } from '../../packages/cli/src/program.js';
import { BD } from './helpers.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** bd's program as packages/cli/src/bd.ts declares it (its global options and command groups). */
const BD_PROGRAM = {
  name: 'bd',
  usage: 'bd (in-process, for tests)',
  epilogue: '',
  options: {
    dir: { type: 'string', global: true },
    actor: { type: 'string', global: true },
    rig: { type: 'string', global: true },
  } as const,
  commands: [registerStoreCommands, registerBeadCommands, registerQueryCommands, registerRelationCommands, registerMoleculeCommands],
};

/**
 * Runs bd in this process. The program ends a finished command with process.exit() (to skip yargs' help
 * rendering): here that call is made a no-op for the duration of the run, and stdout, stderr and the exit
 * code are captured and restored.
 */
export async function bdInProcess(args: string[]): Promise<Run> {
  const saved = { argv: process.argv, exit: process.exit, out: process.stdout.write, err: process.stderr.write, code: process.exitCode };
  const listeners = { out: process.stdout.listeners('error'), err: process.stderr.listeners('error') };
  let stdout = '';
  let stderr = '';
  let code: number;
  process.argv = [process.execPath, 'bd', ...args];
  process.exitCode = undefined;
  process.exit = (() => undefined) as never;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    await runProgram(BD_PROGRAM as Parameters<typeof runProgram>[0]);
  } finally {
    code = Number(process.exitCode ?? 0);
    Object.assign(process, { argv: saved.argv, exit: saved.exit, exitCode: saved.code });
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    for (const l of process.stdout.listeners('error')) if (!listeners.out.includes(l)) process.stdout.off('error', l as never);
    for (const l of process.stderr.listeners('error')) if (!listeners.err.includes(l)) process.stderr.off('error', l as never);
  }
  return { code, stdout, stderr };
}

export function bdBinary(args: string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [BD, ...args], { cwd, encoding: 'utf8', env: { ...process.env, BD_ACTOR: 'tester' }, input: '' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What a store holds: every log's bytes (the store's and the wisp store's), and every bead folded from them. */
export interface Snapshot {
  logs: Map<string, Buffer>;
  beads: Map<string, Bead>;
  /** Why the logs cannot be read or folded, if they cannot: a store no command can use any more. */
  broken?: string;
}

function logFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'cache') out.push(...logFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) out.push(path);
  }
  return out;
}

export function snapshot(root: string): Snapshot {
  const beadsDir = join(root, '.beads');
  const logs = new Map<string, Buffer>();
  const beads = new Map<string, Bead>();
  // A store's log is its ops.jsonl and its segments under log/, folded together; the wisp store is a store of its own.
  const byStore = new Map<string, Op[]>();
  for (const file of logFiles(beadsDir)) {
    logs.set(relative(root, file), readFileSync(file));
    const segment = basename(dirname(file)) === 'log';
    if (!file.endsWith('/ops.jsonl') && !segment) continue;
    const storeDir = segment ? dirname(dirname(file)) : dirname(file);
    try {
      const { ops, corrupt } = readOps(file);
      if (corrupt.length) throw new Error(`corrupt line ${corrupt[0]!.line}: ${corrupt[0]!.message}`);
      byStore.set(storeDir, [...(byStore.get(storeDir) ?? []), ...ops]);
    } catch (err) {
      return { logs, beads, broken: `${relative(root, file)}: ${(err as Error).message}` };
    }
  }
  for (const ops of byStore.values()) for (const [id, state] of foldOperations(ops)) beads.set(id, state.bead);
  return { logs, beads };
}

/** Every log byte-identical (a log that is absent counts as empty). */
export function logsEqual(a: Snapshot, b: Snapshot): boolean {
  const none = Buffer.alloc(0);
  for (const file of new Set([...a.logs.keys(), ...b.logs.keys()])) if (!(a.logs.get(file) ?? none).equals(b.logs.get(file) ?? none)) return false;
  return true;
}

/** Ids whose bead differs between two snapshots (new, changed or gone). */
export function changedIds(before: Snapshot, after: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const [id, bead] of after.beads) if (JSON.stringify(before.beads.get(id)) !== JSON.stringify(bead)) out.add(id);
  for (const id of before.beads.keys()) if (!after.beads.has(id)) out.add(id);
  return out;
}

/**
 * Which bead an id argument names, by the documented rule (docs/bd.md): a full id, else any unique prefix of
 * one, with or without the store's prefix. Undefined when it names none or several.
 */
export function resolveIn(beads: Map<string, Bead>, prefix: string, input: string): string | undefined {
  const wanted = input.trim();
  if (!wanted) return undefined;
  if (beads.has(wanted)) return wanted;
  const ids = [...beads.keys()];
  const candidates = new Set(ids.filter((id) => id.startsWith(wanted)));
  if (!wanted.includes('-')) for (const id of ids.filter((i) => i.startsWith(`${prefix}-${wanted}`))) candidates.add(id);
  return candidates.size === 1 ? [...candidates][0] : undefined;
}

export const storeExists = (root: string): boolean => existsSync(join(root, '.beads', 'config.json'));
