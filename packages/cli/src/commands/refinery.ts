// gt mq list|show|retry|reject and gt refinery run|status: the merge queue (docs/refinery.md).
import type { Argv } from 'yargs';
import { BeadsError } from '@gastown/beads';
import { findMergeRequest, queueRows, refineryRun, refineryStatus, rejectMr, retryMergeRequest, rigSettings, type MergeRequest, type QueueRow, type Town } from '@gastown/gastown';
import { str } from '../args.js';
import { oneLine } from '../format.js';
import { currentTown, sender } from '../here.js';
import type { Run } from '../run.js';

/** The rig named, else the one the current directory is in, else the town's only rig. */
function pickRig(town: Town, given: string | undefined, what: string): string {
  if (given) {
    if (!town.rigs.some((r) => r.name === given)) throw new BeadsError('not_found', `no rig ${given} in this town (gt rig list)`, { rig: given });
    return given;
  }
  const here = town.rigs.find((r) => process.cwd().startsWith(`${town.root}/${r.path}/`) || process.cwd() === `${town.root}/${r.path}`);
  if (here) return here.name;
  if (town.rigs.length === 1) return town.rigs[0]!.name;
  throw new BeadsError('usage', `${what}: name a rig (${town.rigs.map((r) => r.name).join(', ') || 'the town has none: gt rig add'})`);
}

export function age(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function queueLine(r: QueueRow): string {
  const pos = r.position === null ? '-' : r.position === 0 ? '*' : String(r.position);
  const gate = r.last_gate ? ` last gate ${r.last_gate.passed ? 'passed' : 'FAILED'}` : '';
  return `${pos.padStart(3)} ${r.id.padEnd(14)} ${r.state.padEnd(8)} P${r.priority} ${age(r.age_ms).padStart(4)} retries ${r.retries} reworks ${r.reworks}${r.aged ? ' aged' : ''}  ${oneLine(r.branch)}${gate}${r.waiting ? `  (${oneLine(r.waiting)})` : ''}`;
}

function showMr(m: MergeRequest): string {
  const lines = [
    `${m.bead.id} ${m.mq.state}: ${oneLine(m.bead.title)}`,
    `  branch ${m.meta.branch} at ${m.meta.commit} into ${m.meta.target}; bead ${m.meta.source_bead} by ${m.meta.worker}`,
    `  queued ${m.mq.queued_at}, retries ${m.mq.retries}, reworks ${m.mq.reworks}${m.mq.merged_commit ? `, merged in ${m.mq.merged_commit}` : ''}${m.mq.pr_url ? `, pull request ${m.mq.pr_url}` : ''}`,
  ];
  if (m.mq.reason && m.mq.state !== 'merged') lines.push(`  ${oneLine(m.mq.reason)}`);
  for (const a of m.mq.attempts) {
    lines.push(`  attempt ${a.n} at ${a.started_at} on ${a.base.slice(0, 12)}${a.candidate ? `, candidate ${a.candidate.slice(0, 12)}` : ''}${a.batch?.length ? `, batch with ${a.batch.join(', ')}` : ''}: ${a.outcome ?? 'in progress'}${a.detail ? ` (${oneLine(a.detail)})` : ''}`);
    for (const r of a.runs) lines.push(`    gate ${r.gate}: ${r.passed ? (r.flaky ? 'passed (flaky: failed once)' : 'passed') : r.timed_out ? 'TIMED OUT' : `FAILED (exit ${r.exit_code})`} in ${r.duration_ms} ms on tree ${r.tree.slice(0, 12)}`);
  }
  return lines.join('\n');
}

export function registerRefineryCommands(y: Argv, run: Run): Argv {
  return y
    .command('mq', "The merge queue: a rig's merge requests, in the order the refinery takes them", (m) =>
      m
        .command(
          'list [rig]',
          'The queue in processing order: position (* being processed), state, priority, age, retries, reworks, and why one waits',
          (c) => c.positional('rig', { type: 'string', describe: 'The rig (default: the one here, or the only one)' }),
          run((ctx, a) => {
            const town = currentTown();
            const rig = pickRig(town, str(a, 'rig'), 'gt mq list');
            const rows = queueRows(town, rig, { maxWaitMs: rigSettings(town, rig).max_wait_ms });
            ctx.out(rows, (rs) => rs.map(queueLine).join('\n') || `The merge queue of ${rig} is empty.`);
          }),
        )
        .command(
          'show <mr>',
          'A merge request: every attempt, with its gate runs (command, exit code, duration, tree)',
          (c) => c.positional('mr', { type: 'string' }).option('output', { type: 'boolean', describe: "Also print each gate run's output tail" }),
          run((ctx, a) => {
            const { mr } = findMergeRequest(currentTown(), str(a, 'mr')!);
            ctx.out({ id: mr.bead.id, title: mr.bead.title, status: mr.bead.status, merge_request: mr.meta, mq: mr.mq }, () => {
              const text = showMr(mr);
              if (!a.output) return text;
              const outputs = mr.mq.attempts.flatMap((at) => at.runs.map((r) => `--- attempt ${at.n}, gate ${r.gate} (exit ${r.exit_code}):\n${r.output}`));
              return [text, ...outputs].join('\n');
            });
          }),
        )
        .command(
          'retry <mr>',
          'Send a merge request (in rework, rejected, or queued) back to the queue, behind those of its priority',
          (c) => c.positional('mr', { type: 'string' }),
          run((ctx, a) => {
            const m = retryMergeRequest(currentTown(), str(a, 'mr')!, sender());
            ctx.out({ id: m.bead.id, state: m.mq.state, retries: m.mq.retries }, (x) => `${x.id} is queued again (retry ${x.retries})`);
          }),
        )
        .command(
          'reject <mr>',
          'Reject a merge request: it leaves the queue, its bead is released (open, unassigned, branch kept), and the polecat, mayor and overseer are told',
          (c) => c.positional('mr', { type: 'string' }).option('reason', { type: 'string', demandOption: true, describe: 'Why (told to the polecat and recorded)' }),
          run((ctx, a) => {
            const m = rejectMr(currentTown(), str(a, 'mr')!, str(a, 'reason') ?? '', sender());
            ctx.out({ id: m.bead.id, state: m.mq.state, reason: m.mq.reason }, (x) => `${x.id} rejected: ${oneLine(x.reason ?? '')}`);
          }),
        )
        .demandCommand(1, 'name a merge queue command: list, show, retry or reject'),
    )
    .command('refinery', "The rig's refinery: the engine that lands merge requests on the target", (r) =>
      r
        .command(
          'run [rig]',
          'Process the queue: take the head, find conflicts, build the candidate on the latest target, gate it, land it; one refinery per rig',
          (c) =>
            c
              .positional('rig', { type: 'string', describe: 'The rig (default: the one here, or the only one)' })
              .option('once', { type: 'boolean', describe: 'Process until the queue is empty, then exit' })
              .option('interval', { type: 'number', default: 5, describe: 'Seconds between looks at an empty queue (without --once)' }),
          run((ctx, a) => {
            const town = currentTown();
            const rig = pickRig(town, str(a, 'rig'), 'gt refinery run');
            const interval = Number(a.interval);
            if (!(interval > 0)) throw new BeadsError('usage', `--interval must be a number of seconds above 0, not ${String(a.interval)}`);
            const log = ctx.json ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
            const r = refineryRun(town, rig, { once: Boolean(a.once), intervalMs: interval * 1000, log, actor: process.env.GT_AGENT || undefined });
            ctx.out(r, (x) => `${x.events.filter((e) => e.action === 'merged').length} merged, ${x.events.filter((e) => e.action === 'rework').length} sent to rework, ${x.events.filter((e) => e.action === 'rejected').length} rejected; ${x.gate_runs} gate run(s)`);
            if (r.events.some((e) => e.action === 'error')) process.exitCode = 10;
          }),
        )
        .command(
          'status [rig]',
          "Whether the rig's refinery is running, what its queue holds, and the last merge",
          (c) => c.positional('rig', { type: 'string', describe: 'The rig (default: the one here, or the only one)' }),
          run((ctx, a) => {
            const town = currentTown();
            const s = refineryStatus(town, pickRig(town, str(a, 'rig'), 'gt refinery status'));
            ctx.out(s, (x) =>
              [
                `${x.rig}: refinery ${x.running ? 'on duty' : 'not running'} (session ${x.session}; engine ${x.engine ? `processing the queue, pid ${x.pid}` : 'idle'}); merge ${x.settings.merge}, batch ${x.settings.batch}, gates: ${x.settings.gates.join(', ') || 'none'}`,
                `  queued ${x.queued}, being processed ${x.testing}, rework ${x.rework}, pull requests ${x.pr}, merged ${x.merged}, rejected ${x.rejected}`,
                ...(x.last_merged ? [`  last merged ${x.last_merged.id} in ${x.last_merged.commit?.slice(0, 12) ?? '?'} at ${x.last_merged.at ?? '?'}`] : []),
              ].join('\n'),
            );
          }),
        )
        .demandCommand(1, 'name a refinery command: run or status'),
    );
}
