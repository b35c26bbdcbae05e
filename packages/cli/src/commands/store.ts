// bd init, doctor, import, export.
import type { Argv } from 'yargs';
import { basename, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { EXIT, exportRecords, importFile, initStore, runDoctor } from '@gastown/beads';
import { str } from '../args.js';
import { doctorText } from '../format.js';
import type { Run } from '../run.js';

function defaultPrefix(dir: string): string {
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9_]/g, '');
  const trimmed = name.replace(/^[^a-z]+/, '').slice(0, 8);
  return trimmed || 'bd';
}

export function registerStoreCommands(y: Argv, run: Run): Argv {
  return y
    .command(
      'init',
      'Create a bead store (.beads/) in the current directory (or --dir)',
      (c) => c.option('prefix', { type: 'string', describe: 'Id prefix, e.g. gt for gt-abc12 (default: from the directory name)' }),
      run((ctx, a) => {
        const root = resolve(str(a, 'dir') ?? '.');
        const result = initStore(root, str(a, 'prefix') ?? defaultPrefix(root));
        ctx.out(result, (r) => `Initialised a bead store in ${r.dir} with prefix ${r.prefix}\nCommit .beads/ and .gitattributes to share it.`);
      }),
    )
    .command(
      'doctor',
      'Verify the log line by line, rebuild the caches, and print a hash of the state to compare clones',
      (c) => c,
      run((ctx) => {
        const report = runDoctor(ctx.store);
        ctx.out(report, doctorText);
        if (!report.ok) process.exitCode = EXIT.corrupt;
      }),
    )
    .command(
      'import <file>',
      "Import a Beads tracker JSONL export (one issue per line); re-importing updates what changed",
      (c) => c.positional('file', { type: 'string' }),
      run((ctx, a) => {
        const result = importFile(ctx.store, ctx.actor, str(a, 'file')!);
        ctx.out(result, (r) => `Imported ${str(a, 'file')}: ${r.created} created, ${r.updated} updated, ${r.deleted} deleted, ${r.unchanged} unchanged (${r.operations} operations)`);
      }),
    )
    .command(
      'export',
      'Write every bead as Beads tracker JSONL (one snapshot per line, tombstones included)',
      (c) => c.options({ output: { alias: 'o', type: 'string', describe: 'Write to this file instead of stdout' }, deleted: { type: 'boolean', default: true, describe: 'Include deleted beads as tombstones (--no-deleted leaves them out)' } }),
      run((ctx, a) => {
        const records = exportRecords(ctx.store, { includeDeleted: a.deleted !== false });
        const text = records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
        const out = str(a, 'output');
        if (out) {
          writeFileSync(out, text);
          ctx.out({ file: out, count: records.length }, (r) => `Exported ${r.count} beads to ${r.file}`);
        } else process.stdout.write(text);
      }),
    );
}
