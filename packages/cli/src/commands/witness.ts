// gt witness patrol: the witness's round over a rig's polecats, as a command (the kernel: docs/kernel.md). The
// scripted witness and the daemon run the same function; an AI witness runs this command.
import type { Argv } from 'yargs';
import { BeadsError, parseDuration } from '@gastown/beads';
import { requireRig, requireTmux, witnessPatrol, type PatrolResult, type Town } from '@gastown/gastown';
import { str } from '../args.js';
import { cliTools, currentTown } from '../here.js';
import type { Run } from '../run.js';
import { repeatUntilSignal } from '../repeat.js';

function roundText(results: PatrolResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.daemon) lines.push(`daemon: ${r.daemon.action}${r.dry_run ? ' (dry run)' : r.daemon.done ? '' : ' NOT DONE'}: ${r.daemon.reason}: ${r.daemon.result}${r.daemon.pid ? ` (pid ${r.daemon.pid})` : ''}${r.daemon.error ? `: ${r.daemon.error}` : ''}`);
    if (r.busy) lines.push(`${r.rig}: another patrol is running; nothing done`);
    else if (r.held) lines.push(`${r.rig}: held by ${r.held.by} since ${r.held.since}: its polecats are left alone (gt up ${r.rig} releases it)`);
    else if (!r.findings.length) lines.push(`${r.rig}: all polecats fine`);
    for (const f of r.findings) {
      lines.push(`${r.rig}: ${f.polecat}${f.bead ? ` (${f.bead})` : ''}: ${f.kind}: ${f.action}${r.dry_run ? ' (dry run)' : f.done ? '' : ' NOT DONE'}: ${f.reason}`);
      lines.push(`    seen: ${f.evidence}`);
    }
  }
  return lines.join('\n');
}

function patrolRound(town: Town, rigs: string[], dryRun: boolean, actor: string | undefined): PatrolResult[] {
  return rigs.map((rig) => witnessPatrol(town, rig, { tools: cliTools(), dryRun, actor }));
}

export function registerWitnessCommands(y: Argv, run: Run): Argv {
  return y.command('witness', "The rigs' witness: patrols that find dead, stalled and finished polecats and act on them", (w) =>
    w
      .command(
        'patrol [rig]',
        'Check that the daemon runs while the town is up (started again if it is found dead or hung), then look at each polecat of RIG (default: every rig) and act: a gone or dead session is restarted with its hook kept; a stall or a polecat stuck in gt done is nudged once, then restarted; after max_restarts the work is released (pushed, bead reopened, mayor and overseer mailed); a merged polecat is collected; a session on a closed bead is stopped. Without --once it patrols every --interval and prints each round (with --json, one JSON line per round)',
        (c) =>
          c
            .positional('rig', { type: 'string', describe: 'Only this rig (default: every rig)' })
            .option('once', { type: 'boolean', describe: 'One round, then exit' })
            .option('dry-run', { type: 'boolean', describe: 'Say what each polecat shows and what would be done; change nothing' })
            .option('interval', { type: 'string', default: '30s', describe: 'Time between rounds without --once (30s, 2m)' }),
        run(async (ctx, a) => {
          const town = currentTown();
          const rig = str(a, 'rig');
          const rigs = rig ? [requireRig(town, rig)] : town.rigs.map((r) => r.name);
          const dryRun = Boolean(a['dry-run']);
          const intervalMs = parseDuration(str(a, 'interval') ?? '30s', '--interval');
          if (!(intervalMs > 0)) throw new BeadsError('usage', `--interval must be above 0, not ${String(a.interval)}`);
          if (!dryRun) requireTmux();
          const actor = process.env.GT_AGENT || undefined;
          if (a.once) {
            ctx.out(patrolRound(town, rigs, dryRun, actor), roundText);
            return;
          }
          await repeatUntilSignal(intervalMs, () => {
            let results: PatrolResult[];
            try {
              results = patrolRound(town, rigs, dryRun, actor);
            } catch (err) {
              process.stderr.write(`gt witness patrol: ${(err as Error).message}\n`);
              results = [];
            }
            const at = new Date().toISOString();
            if (ctx.json) process.stdout.write(JSON.stringify({ at, rigs: results }) + '\n');
            else if (results.length) process.stdout.write(`[${at}]\n${roundText(results)}\n`);
          });
        }),
      )
      .demandCommand(1, 'name a witness command: patrol'),
  );
}
