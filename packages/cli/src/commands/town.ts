// gt install, gt rig add|list|remove|settings, gt ready, gt sync.
import type { Argv } from 'yargs';
import { BeadsError, ioFailure } from '@gastown/beads';
import { RIG_SETTINGS_FILE, addRig, installTown, listRigs, parseSettingValue, removeRig, requireTown, setTownSetting, settingRows, townReady, townStores, type SettingRow } from '@gastown/gastown';
import { usageError } from '../context.js';
import { beadLine, columnsFor } from '../format.js';
import { limit, str } from '../args.js';
import type { Run } from '../run.js';

export function registerTownCommands(y: Argv, run: Run): Argv {
  return y
    .command(
      'ready',
      'Ready work across the town: every rig and the town store, by priority then age',
      (c) => c.option('limit', { alias: 'n', type: 'string', default: '20', describe: 'At most N; 0 for no limit' }),
      run((ctx, a) => {
        const shown = townReady(requireTown(process.cwd()), { limit: limit(a) ?? 20 });
        ctx.out(shown, (rs) => {
          const cols = columnsFor(rs);
          return rs.map((r) => `${r.rig.padEnd(12)} ${beadLine(r, cols)}`).join('\n') || 'No ready work in the town.';
        });
      }),
    )
    .command(
      'sync',
      'bd sync for the town store and every rig; one failure does not stop the others',
      (c) => c.option('dry-run', { type: 'boolean', describe: 'Say what would go out and come in, change nothing' }),
      run(async (ctx, a) => {
        const { syncStore } = await import('@gastown/beads/sync');
        const results: { rig: string; ok: boolean; result?: unknown; error?: { code: string; message: string } }[] = [];
        for (const { name, store } of townStores(requireTown(process.cwd()))) {
          try {
            results.push({ rig: name, ok: true, result: await syncStore(store, { dryRun: Boolean(a['dry-run']) }) });
          } catch (err) {
            // One rig's failure is reported the way bd reports it (an errno error as io_error), and the rest go on.
            const e = err instanceof BeadsError ? err : ioFailure(err, process.cwd(), store.dir) ?? new BeadsError('internal', `internal error: ${(err as Error)?.stack ?? String(err)}`);
            results.push({ rig: name, ok: false, error: { code: e.code, message: e.message } });
          }
        }
        ctx.out(results, (rs) =>
          rs
            .map((r) => {
              if (!r.ok) return `${r.rig.padEnd(12)} not synced: ${r.error!.message}`;
              const x = r.result as { out: { operations: number }; in: { operations: number }; lost_claims: unknown[] };
              return `${r.rig.padEnd(12)} out ${x.out.operations}, in ${x.in.operations}${x.lost_claims.length ? `, ${x.lost_claims.length} lost claim(s)` : ''}`;
            })
            .join('\n'),
        );
        if (results.some((r) => !r.ok)) process.exitCode = 10;
      }),
    )
    .command(
      'install <dir>',
      'Create a town in DIR: config, rig registry, the town store (prefix hq) and molecules/; harmless to run again',
      (c) => c.positional('dir', { type: 'string' }).option('name', { type: 'string', describe: 'The town\'s name (default: the directory\'s)' }),
      run((ctx, a) => {
        const r = installTown(str(a, 'dir')!, { name: str(a, 'name') });
        ctx.out(
          { root: r.town.root, name: r.town.config.name, created: r.created, rigs: r.town.rigs.length },
          (x) => (x.created.length ? `Town ${x.name} at ${x.root}: created ${x.created.join(', ')}` : `Town ${x.name} at ${x.root} is already installed (${x.rigs} rig(s))`),
        );
      }),
    )
    .command('rig', 'The rigs (project repositories) of the town', (r) =>
      r
        .command(
          'add <name> <source>',
          'Clone a repository (URL or path) into the town as a rig, with a bead store (adopted if it has one)',
          (c) => c.positional('name', { type: 'string' }).positional('source', { type: 'string', describe: 'A git URL or a path' }).option('prefix', { type: 'string', describe: 'Id prefix for a new store (default: from the name); unique in the town' }),
          run((ctx, a) => {
            const rig = addRig(requireTown(process.cwd()), str(a, 'name')!, str(a, 'source')!, { prefix: str(a, 'prefix') });
            ctx.out(rig, (x) => `Added rig ${x.name} (prefix ${x.prefix}) from ${x.source} at ${x.path}/main`);
          }),
        )
        .command(
          'list',
          'The rigs of the town',
          (c) => c,
          run((ctx) => ctx.out(listRigs(requireTown(process.cwd())), (rs) => rs.map((x) => `${x.name.padEnd(16)} ${x.prefix.padEnd(8)} ${x.source}`).join('\n') || 'No rigs yet: gt rig add NAME URL')),
        )
        .command(
          'remove <name>',
          'Remove a rig; refuses while it has work not yet pushed or merged, unless --force',
          (c) => c.positional('name', { type: 'string' }).option('force', { type: 'boolean', describe: 'Remove even with unmerged work (it is lost)' }),
          run((ctx, a) => {
            const r = removeRig(requireTown(process.cwd()), str(a, 'name')!, { force: Boolean(a.force) });
            ctx.out(r, (x) => `Removed rig ${x.removed}${x.discarded.length ? ` (discarded: ${x.discarded.join('; ')})` : ''}`);
          }),
        )
        .command(
          'settings <rig> [key] [value]',
          "A rig's settings (the refinery's gates, merge, batch, max_wait, max_reworks, gate_timeout; the kernel's dispatch, max_polecats, setup, stall_after, spawn_grace, max_restarts): each effective value and where it comes from; with KEY and VALUE, sets a town override",
          (c) =>
            c
              .positional('rig', { type: 'string' })
              .positional('key', { type: 'string', describe: 'One setting' })
              .positional('value', { type: 'string', describe: 'A town override: JSON, or a bare word as a string' })
              .option('unset', { type: 'boolean', describe: "Remove the town's override of KEY" })
              .epilogue(`The repository's settings are committed in ${RIG_SETTINGS_FILE} (edit it like any other file); a town's overrides are in settings/<rig>.json under the town. Docs: docs/refinery.md, docs/kernel.md`),
          run((ctx, a) => {
            const town = requireTown(process.cwd());
            const rig = str(a, 'rig')!;
            const key = str(a, 'key');
            const value = str(a, 'value');
            if (a.unset && (!key || value !== undefined)) throw usageError('--unset takes a KEY and no VALUE');
            const show = (rows: SettingRow[]): string => rows.map((r) => `${r.key.padEnd(13)} ${JSON.stringify(r.value).padEnd(30)} ${r.source}`).join('\n');
            if (a.unset || value !== undefined) {
              const row = setTownSetting(town, rig, key!, a.unset ? undefined : parseSettingValue(value!));
              return ctx.out(row, (r) => show([r]));
            }
            const rows = settingRows(town, rig);
            if (key && !rows.some((r) => r.key === key)) throw usageError(`unknown setting ${JSON.stringify(key)} (known: ${rows.map((r) => r.key).join(', ')})`);
            ctx.out(key ? rows.find((r) => r.key === key)! : rows, (x) => show(Array.isArray(x) ? x : [x]));
          }),
        )
        .demandCommand(1, 'give a rig subcommand: add, list, remove, settings'),
    );
}
