// Every mutating bd command, driven by fast-check with hostile arguments (control characters, empty strings,
// ambiguous prefixes, huge numbers, odd dates, several values with one bad) against a seeded store. The rules:
//   1. a command that exits non-zero leaves the logs byte-identical;
//   2. a command that exits 0 made exactly the change it reports, and what it was asked (an input the docs
//      refuse, or an id that names no single bead, must not succeed);
//   3. what a success stores holds no control character in a one-line field;
//   and no input makes bd crash (an internal error).
// Sequences run in-process (the real program, output captured) for speed; a sample runs through the binary.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeadStore, closeBead, createBead, deleteBead, initStore, updateBead, wispStoreDir } from '@gastown/beads';
import { bdBinary, bdInProcess, logsEqual, snapshot, type Run, type Snapshot } from './hostile-harness.js';
import { ACTOR, FAMILIES, anyCommand, importCommand, importRecords, shown as commandLine, type Command } from './hostile-model.js';
import { controlInOneLineFields } from './hostile-values.js';

let base: string;
let template: string;
let count = 0;

/** The seeded store: the beads hostile-model.ts's ids name (open, blocked, closed, deleted, held by us and by another, wisps). */
function seedTemplate(root: string): void {
  initStore(root, 'gt');
  const store = BeadStore.open(join(root, '.beads'));
  createBead(store, 'seed', { id: 'gt-aa1', title: 'first', labels: ['keep', 'spaced'] });
  createBead(store, 'seed', { id: 'gt-ab3', title: 'blocker' });
  createBead(store, 'seed', { id: 'gt-aa2', title: 'blocked', deps: [{ type: 'blocks', id: 'gt-ab3' }] });
  createBead(store, 'seed', { id: 'gt-b1', title: 'done' });
  closeBead(store, 'seed', 'gt-b1', 'done');
  createBead(store, 'seed', { id: 'gt-c1', title: 'gone' });
  deleteBead(store, 'seed', 'gt-c1', 'duplicate');
  createBead(store, 'seed', { id: 'gt-d1', title: 'mine' });
  updateBead(store, ACTOR, 'gt-d1', {}, { claim: true, leaseMs: 3_600_000 });
  createBead(store, 'seed', { id: 'gt-e1', title: 'child', parent: 'gt-aa1', deps: [{ type: 'related', id: 'gt-b1' }] });
  createBead(store, 'seed', { id: 'gt-f1', title: 'theirs' });
  updateBead(store, 'other', 'gt-f1', {}, { claim: true });
  // Two wisp molecules (.beads/wisps/), the first with a step: what mol burn and squash work on.
  const wisps = BeadStore.open(wispStoreDir(store.dir, store.prefix, true)!);
  createBead(wisps, 'seed', { id: 'gt-wisp-m1', title: 'a wisp', issue_type: 'molecule', metadata: { molecule: 'engineer-in-box', steps: [{ path: 'design', id: 'gt-wisp-s1' }] } });
  createBead(wisps, 'seed', { id: 'gt-wisp-s1', title: 'design', parent: 'gt-wisp-m1' });
  createBead(wisps, 'seed', { id: 'gt-wisp-m2', title: 'another wisp', issue_type: 'molecule', metadata: { molecule: 'engineer-in-box', steps: [] } });
}

/** A copy of the seeded store (its caches included), in the one git repository (without a remote) under base. */
function freshStore(): string {
  const root = join(base, `s${++count}`);
  cpSync(join(template, '.beads'), join(root, '.beads'), { recursive: true });
  return root;
}

const savedActor = process.env.BD_ACTOR;
beforeAll(() => {
  process.env.BD_ACTOR = ACTOR;
  // A store's cache is a thousand small files: on a memory file system a copy costs milliseconds, not a second.
  base = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bd-hostile-'));
  spawnSync('git', ['init', '-q', base]);
  template = join(base, 'template');
  seedTemplate(template);
});
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  if (savedActor === undefined) delete process.env.BD_ACTOR;
  else process.env.BD_ACTOR = savedActor;
});

/** Which rule a run broke, if any. */
function verdict(cmd: Command, before: Snapshot, after: Snapshot, run: Run, window: [number, number], checkControl = true): string | undefined {
  const shown = `${commandLine(cmd.args)} (exit ${run.code})`;
  if (after.broken) return `rule 2, a store that still works: ${shown} left logs the fold cannot read (${after.broken})`;
  if (run.code !== 0) {
    if (!logsEqual(before, after)) return `rule 1, a failure writes nothing: ${shown} changed the log`;
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(run.stdout) as { error?: typeof error }).error;
    } catch {
      /* not JSON: judged below */
    }
    if (run.code === 1 && (error?.code === 'internal' || !error)) return `no crash: ${shown}: ${(error?.message ?? run.stdout + run.stderr).split('\n')[0]}`;
    return undefined;
  }
  const refused = cmd.mustFail(before);
  if (refused) return `rule 2, only what was asked and allowed: ${shown} succeeded although ${refused}`;
  let report: unknown;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    return `rule 2, reports what it did: ${shown} printed ${JSON.stringify(run.stdout.slice(0, 120))}, not one JSON document`;
  }
  const wrong = cmd.check(before, after, report, window);
  if (wrong) return `rule 2, exactly the change it reports: ${shown}: ${wrong}`;
  const control = checkControl ? controlInOneLineFields(before, after) : undefined;
  return control ? `rule 3, no control characters in one-line fields: ${shown}: ${control}` : undefined;
}

async function judged(root: string, cmd: Command, runner: (args: string[]) => Run | Promise<Run>, checkControl = true): Promise<string | undefined> {
  const before = snapshot(root);
  if (before.broken) throw new Error(`the store was broken before ${commandLine(cmd.args)}: ${before.broken}`);
  const t0 = Date.now();
  const run = await runner(['--dir', root, '--json', ...cmd.args]);
  const window: [number, number] = [t0, Date.now()];
  return verdict(cmd, before, snapshot(root), run, window, checkControl);
}

/** A property over sequences of commands on a fresh seeded store: the first broken rule fails it. */
function sequences(commands: fc.Arbitrary<Command>, numRuns: number, maxLength = 4) {
  return fc.assert(
    fc.asyncProperty(fc.array(commands, { minLength: 1, maxLength }), async (cmds) => {
      const root = freshStore();
      try {
        for (const cmd of cmds) {
          const broken = await judged(root, cmd, bdInProcess);
          if (broken) throw new Error(broken);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }),
    { numRuns },
  );
}

describe('every mutating bd command with hostile arguments, in-process', () => {
  const titles: Record<keyof typeof FAMILIES, string> = { create: 'create', update: 'update (fields, --claim, --lease)', close: 'close', reopen: 'reopen', delete: 'delete', heartbeat: 'heartbeat', label: 'label add/remove', dep: 'dep add/remove', comment: 'comment', pour: 'mol pour', wisp: 'mol burn/squash/gc', upkeep: 'init, doctor --fix and sync' };
  it.each(Object.entries(titles))('%s: bd %s keeps the rules', async (family) => {
    await sequences(FAMILIES[family as keyof typeof FAMILIES], 8);
  });

  it('bd import keeps the rules (all or nothing, counts as changed)', async () => {
    await fc.assert(
      fc.asyncProperty(importRecords, async (records) => {
        const root = freshStore();
        try {
          const file = join(root, 'import.jsonl');
          const now = '2026-01-02T00:00:00Z';
          writeFileSync(file, records.map((r) => JSON.stringify({ issue_type: 'task', updated_at: now, ...r })).join('\n') + '\n');
          const broken = await judged(root, importCommand(file, records), bdInProcess, false);
          if (broken) throw new Error(broken);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 15 },
    );
  });

  it('mixed sequences keep the rules', async () => {
    await sequences(anyCommand, 25, 8);
  });
});

describe('every mutating bd command with hostile arguments, through the binary', () => {
  it('a sample of commands keeps the rules', async () => {
    const root = freshStore();
    const broken: string[] = [];
    // (an argument cannot hold a NUL byte: the in-process runs cover those)
    for (const cmd of fc.sample(anyCommand.filter((c) => !c.args.some((a) => a.includes('\0'))), 30)) {
      const why = await judged(root, cmd, (args) => bdBinary(args, root));
      if (why) broken.push(why);
    }
    expect(broken).toEqual([]);
  });
});
