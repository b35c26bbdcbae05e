// gt dispatch: one round of dispatch by hand (the daemon runs one per rig each tick; docs/kernel.md). Per
// rig, its `dispatch` setting says what a round does: auto slings ready work while polecats are free, mayor
// mails the mayor the newly ready beads, off does nothing.
import type { Argv } from 'yargs';
import { dispatchRound, rigNames, type DispatchResult } from '@gastown/gastown';
import { str } from '../args.js';
import { cliTools, currentTown } from '../here.js';
import type { Run } from '../run.js';

function roundText(r: DispatchResult): string {
  const would = r.dry_run ? 'would ' : '';
  const head = `${r.rig}: dispatch ${r.mode}${r.mode === 'auto' ? `, ${r.working} of max_polecats ${r.capacity} polecats working` : ''}${r.dry_run ? ' (dry run)' : ''}`;
  if (r.mode === 'off') return `${head}: nothing to do`;
  if (r.held) return `${head}: held by ${r.held.by} since ${r.held.since}: nothing slung (gt up ${r.rig} releases it)`;
  const lines = [
    head,
    ...r.slung.map((s) => `  ${would}sling ${s.bead}${s.polecat ? ` to ${s.polecat}` : ''}: ${s.title}`),
    ...(r.notified.length ? [`  ${would}tell the mayor of ${r.notified.join(', ')}`] : []),
    ...r.failed.map((f) => `  failed ${f.bead} (${f.code}): ${f.error}`),
    ...r.skipped.map((s) => `  skipped ${s.bead}: ${s.reason}`),
  ];
  if (lines.length === 1) lines.push('  no ready work');
  return lines.join('\n');
}

export function registerDispatchCommands(y: Argv, run: Run): Argv {
  return y.command(
    'dispatch [rig]',
    "One round of dispatch for each rig (or RIG), as its dispatch setting says: auto slings ready work beads in ready order while fewer than max_polecats polecats are working; mayor mails the mayor the newly ready beads, each once; off does nothing",
    (c) =>
      c
        .positional('rig', { type: 'string', describe: 'Only this rig' })
        .option('dry-run', { type: 'boolean', describe: 'Say what the round would sling or tell; change nothing' })
        .option('runtime', { type: 'string', describe: "The polecats' runtime (default: as gt sling: GT_RUNTIME, else town.json, else claude)" })
        .epilog('Work beads (task, bug, feature, chore) that are ready, open, unassigned, not deferred and not labelled no-dispatch or released are dispatched; a bead whose sling failed is passed over for 10 minutes. A bead the witness released after max_restarts waits for a person: gt sling continues it, bd label remove ID released lets dispatch take it.'),
    run((ctx, a) => {
      const town = currentTown();
      const rigs = rigNames(town, str(a, 'rig'));
      const dryRun = Boolean(a['dry-run']);
      const results = rigs.map((rig) => dispatchRound(town, rig, { tools: cliTools(), actor: ctx.actor, dryRun, runtime: str(a, 'runtime') }));
      ctx.out(results, (rs) => rs.map(roundText).join('\n') || 'No rigs.');
    }),
  );
}
