// bd init, doctor, migrate, sync, import, export.
import type { Argv } from 'yargs';
import { basename, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { BeadsError, EXIT, exportRecords, importFile, initStore, migrateStore, runDoctor } from '@gastown/beads';
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
      (c) =>
        c
          .option('fix', { type: 'boolean', describe: 'First move corrupt lines out of the log into .beads/ops.corrupt.jsonl (each with its text, line and reason), so commands work again; nothing is lost' })
          .example('$0 doctor --fix', 'quarantine corrupt lines, then check'),
      run((ctx, a) => {
        const report = runDoctor(ctx.store, { fix: Boolean(a.fix), actor: a.fix ? ctx.actor : undefined });
        ctx.out(report, doctorText);
        if (!report.ok) process.exitCode = EXIT.corrupt;
      }),
    )
    .command(
      'migrate',
      'Turn a single-file log (.beads/ops.jsonl) into segments, so each sync commits only what changed; nothing is rewritten',
      (c) =>
        c.epilogue(
          'ops.jsonl stays as the first segment, sealed; new operations go to this clone\'s segment under .beads/log/. The folded state and bd doctor\'s hash do not change. Commit .beads/ and .gitattributes (bd sync does): every clone then writes segments. Run it once every clone has a bd that reads segments (a bd older than segments would not see them). Running it again changes nothing.',
        ),
      run((ctx) => {
        const r = migrateStore(ctx.store);
        ctx.out(r, (x) => (x.migrated ? `Migrated the store to segments (format ${x.from} to ${x.to}): .beads/ops.jsonl is now sealed, new operations go to .beads/log/. Commit .beads/ and .gitattributes (bd sync does it).` : `The store already writes segments (format ${x.to}); nothing to migrate${x.changed.length ? ` (added what was missing to ${x.changed.join(', ')})` : ''}.`));
      }),
    )
    .command(
      'sync',
      'Exchange the store with the git remote: commit only the store, merge, push (retrying when raced)',
      (c) => c.options({ 'dry-run': { type: 'boolean', describe: 'Say what would go out and come in, change nothing' }, message: { alias: 'm', type: 'string', describe: 'Commit message' } }),
      run(async (ctx, a) => {
        // Loaded on demand: git (simple-git) is for sync only, and stays off every other command's start-up.
        const { syncStore } = await import('@gastown/beads/sync');
        const r = await syncStore(ctx.store, { dryRun: Boolean(a['dry-run']), message: str(a, 'message') });
        ctx.out(r, (x) =>
          [
            `${x.dry_run ? 'Would send' : 'Sent'} ${x.out.operations} operation(s) on ${x.out.beads} bead(s) to ${x.remote}/${x.branch}; ${x.dry_run ? 'would receive' : 'received'} ${x.in.operations} on ${x.in.beads} bead(s)${x.retries ? ` (after ${x.retries} retr${x.retries === 1 ? 'y' : 'ies'}: another clone pushed first)` : ''}`,
            ...x.lost_claims.map((l) => `Lost claim: ${l.id} (${l.title}) is held by ${l.holder}, whose claim came first; ${l.lost_by} no longer holds it`),
          ].join('\n'),
        );
      }),
    )
    .command(
      'import <path>',
      'Import a Beads JSONL export (v0.x or 1.x) or a Beads 1.x backup folder; re-importing updates what changed',
      (c) =>
        c
          .positional('path', { type: 'string', describe: 'A JSONL export (one issue per line), or a folder as bd backup writes it: issues.jsonl, dependencies.jsonl, labels.jsonl, comments.jsonl, events.jsonl, config.jsonl (its events become each bead\'s history)' })
          .example('$0 import issues.jsonl', 'a JSONL export')
          .example('$0 import .beads/backup', 'a Beads 1.x backup folder'),
      run((ctx, a) => {
        if (!str(a, 'path')?.trim()) throw new BeadsError('invalid_input', 'an empty file name was given');
        const result = importFile(ctx.store, ctx.actor, str(a, 'path')!);
        ctx.out(result, (r) => `Imported ${str(a, 'path')}: ${r.created} created, ${r.updated} updated, ${r.deleted} deleted, ${r.unchanged} unchanged (${r.operations} operations)`);
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
