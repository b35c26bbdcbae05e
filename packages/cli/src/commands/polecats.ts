// gt polecat list, gt polecat gc: the polecats of the town, and removing those whose work has merged (and a killed sling's leftovers).
import type { Argv } from 'yargs';
import { gcPolecats, polecatRows, requireTmux, type GcEntry, type PolecatRow } from '@gastown/gastown';
import { str } from '../args.js';
import { currentTown } from '../here.js';
import type { Run } from '../run.js';

function stateText(r: PolecatRow): string {
  if (r.state === 'in_queue') return `in queue (${r.merge_request!.queue_state})`;
  return r.state;
}

function rowText(r: PolecatRow): string {
  const mr = r.merge_request ? `${r.merge_request.id} (${r.merge_request.status})` : '-';
  return `${r.address.padEnd(28)} ${(r.branch ?? '?').padEnd(20)} ${stateText(r).padEnd(20)} ${mr.padEnd(24)} session ${r.session_state}`;
}

const entryText = (e: GcEntry): string => `${e.address} (${e.worktree})${e.reason ? `: ${e.reason}` : ''}`;

export function registerPolecatCommands(y: Argv, run: Run): Argv {
  return y.command('polecat', "The rigs' polecats: list them, and remove those whose work has merged", (p) =>
    p
      .command(
        'list [rig]',
        'Each polecat (of every rig, or of RIG): its branch, its latest merge request, its state (working, in queue, rework, merged, rejected, idle) and its session',
        (c) => c.positional('rig', { type: 'string', describe: 'Only this rig' }),
        run((ctx, a) => {
          const rows = polecatRows(currentTown(), str(a, 'rig'));
          ctx.out(rows, (rs) => rs.map(rowText).join('\n') || 'No polecats.');
        }),
      )
      .command(
        'gc [rig]',
        'Stop and remove the polecats whose work has merged (session, worktree, local branch), and the leftovers of a killed sling (no session, nothing hooked, no sling making it, nothing a remote lacks); a worktree with uncommitted changes or commits no remote has is named and kept',
        (c) => c.positional('rig', { type: 'string', describe: 'Only this rig' }).option('dry-run', { type: 'boolean', describe: 'Say what would be removed and kept; change nothing' }),
        run((ctx, a) => {
          const town = currentTown();
          if (!a['dry-run']) requireTmux();
          const r = gcPolecats(town, str(a, 'rig'), { dryRun: Boolean(a['dry-run']) });
          ctx.out(r, (x) =>
            [
              ...x.removed.map((e) => `${x.dry_run ? 'Would remove' : 'Removed'} ${entryText(e)}`),
              ...x.kept.map((e) => `Kept ${entryText(e)}`),
            ].join('\n') || 'No polecat has merged work or is left over to remove.',
          );
        }),
      )
      .demandCommand(1, 'give a polecat subcommand: list, gc'),
  );
}
