// gt dashboard: the town live in the terminal (docs/dashboard.md). The dashboard package (Ink and React) is
// loaded only here, by a dynamic import that the bundle puts in a chunk of its own: no other command pays for it.
import type { Argv } from 'yargs';
import { requireTown } from '@gastown/gastown';
import { cliTools } from '../here.js';
import type { Run } from '../run.js';
import { rigOption } from '../args.js';

export function registerDashboardCommands(y: Argv, run: Run): Argv {
  return y.command(
    'dashboard',
    'The town live in the terminal: problems first, agents, work, the merge queue, mail and activity (? lists the keys). Not a terminal, or --once: one plain snapshot',
    (c) =>
      c
        .option('once', { type: 'boolean', describe: 'Print one plain snapshot and exit' })
        .option('readonly', { type: 'boolean', describe: 'Look only: the keys that act (attach, nudge, sling, retry, mail) are off' })
        .option('rig', { type: 'string', describe: 'Only this rig (its agents, work and merge queue)' }),
    run(async (ctx, a) => {
      const rig = rigOption(a);
      const dash = await import('@gastown/dashboard');
      const cwd = process.env.GT_TOWN || process.cwd();
      if (ctx.json) {
        const town = requireTown(cwd);
        ctx.out(dash.snapshot(town, { ...(rig !== undefined ? { rig } : {}), feed: dash.townFeed(town, rig) }), () => '');
        return;
      }
      process.exitCode = await dash.runDashboard({ cwd, once: Boolean(a.once), readonly: Boolean(a.readonly), ...(rig !== undefined ? { rig } : {}), tools: cliTools() });
    }),
  );
}
