// gt install, gt rig add|list|remove.
import type { Argv } from 'yargs';
import { addRig, installTown, listRigs, removeRig, requireTown } from '@gastown/gastown';
import { str } from '../args.js';
import type { Run } from '../run.js';

export function registerTownCommands(y: Argv, run: Run): Argv {
  return y
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
        .demandCommand(1, 'give a rig subcommand: add, list, remove'),
    );
}
