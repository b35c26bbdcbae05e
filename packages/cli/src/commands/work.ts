// gt sling, gt prime, gt done, gt nudge, gt handoff, gt mail, and the scripted agent's entry point.
import type { Argv } from 'yargs';
import {
  HANDOFF_SUBJECT,
  ScriptedAgent,
  ackMail,
  finishWork,
  inbox,
  nudgeAgent,
  parseAgent,
  primeAgent,
  readMail,
  recordSessionStart,
  renderPrime,
  replyMail,
  requireTmux,
  resolveRuntime,
  restartAgent,
  sendMail,
  slingBead,
  type MailItem,
} from '@gastown/gastown';
import { assertNoControl } from '@gastown/beads';
import { str } from '../args.js';
import { oneLine, textBlock } from '../format.js';
import { AGENT_ARG, cliTools, currentTown, selfAgent, sender } from '../here.js';
import type { Run } from '../run.js';

/**
 * What a session-start hook is given on stdin (Claude Code writes JSON and closes it); '' from a terminal, and
 * whatever came within a few seconds from a pipe that is never closed.
 */
function hookInput(timeoutMs = 3000): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      process.stdin.removeAllListeners('data').removeAllListeners('end');
      process.stdin.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, timeoutMs);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      text += d;
      if (text.length > 1 << 20) done();
    });
    process.stdin.on('end', done);
    process.stdin.on('error', done);
  });
}

const mailLine = (m: MailItem): string => `${m.id}  ${m.read ? ' ' : '*'} ${oneLine(m.from).padEnd(24)} ${oneLine(m.subject)}`;

export function registerWorkCommands(y: Argv, run: Run): Argv {
  return y
    .command(
      'sling <bead> <rig>',
      "Hand a bead to a new polecat: its own worktree and branch, the bead hooked, the work molecule poured under it, its session started",
      (c) =>
        c
          .positional('bead', { type: 'string', describe: 'The bead (of that rig) to work on' })
          .positional('rig', { type: 'string' })
          .option('molecule', { type: 'string', describe: "The molecule to pour (default: the bead's own, metadata.molecule or a molecule:<name> label, else polecat-work)" })
          .option('runtime', { type: 'string', describe: 'The polecat\'s runtime (default: GT_RUNTIME, else town.json, else claude)' })
          .option('fresh', { type: 'boolean', describe: 'For a bead the witness released: start over (a new molecule, the worktree from the target) instead of continuing its molecule from the branch its work was pushed to' })
          .epilog('A bead the witness released after max_restarts is continued: its molecule is kept (closed steps stay closed, the polecat starts at the first open step) and the worktree starts from the branch the witness pushed its work to; the label released comes off, so dispatch may sling it again.'),
      run((ctx, a) => {
        requireTmux();
        const r = slingBead(currentTown(), str(a, 'bead')!, str(a, 'rig')!, { molecule: str(a, 'molecule'), runtime: str(a, 'runtime'), fresh: Boolean(a.fresh), actor: ctx.actor, tools: cliTools() });
        const retired = (x: typeof r): string => {
          const t = x.release?.retired;
          return !t || !x.release ? '' : t.removed ? `; retired ${x.release.from}` : `; kept ${x.release.from} (${t.reason ?? 'not removable'})`;
        };
        const release = (x: typeof r): string =>
          (!x.release ? '' : x.release.how === 'continued' ? `; continues the release of ${x.release.released_at} from ${x.release.from} (${x.release.steps_closed} step(s) closed${x.release.start ? `, started from ${x.release.start}` : ''})` : `; started fresh after its release (${x.release.why})`) + retired(x);
        const swept = (x: typeof r): string => (x.swept?.length ? `; removed ${x.swept.length} leftover polecat(s) of a killed sling: ${x.swept.join(', ')}` : '');
        ctx.out(r, (x) => `Slung ${x.bead} to ${x.address} (${x.runtime}): worktree ${x.worktree} on ${x.branch}, molecule ${x.molecule.name} ${x.molecule.id} (${x.molecule.steps} steps)${x.setup.length ? `, ${x.setup.length} setup command(s) run` : ''}, session ${x.session}${release(x)}${swept(x)}`);
      }),
    )
    .command(
      'prime',
      'Who this agent is, its role, the bead on its hook with its checklist, unread mail and any handoff note (run in an agent\'s session)',
      (c) =>
        c
          .option('agent', { type: 'string', describe: 'Prime as this agent (default: GT_AGENT)' })
          .option('hook', {
            type: 'boolean',
            describe: "As a runtime's session-start hook: first record the conversation id it is given on stdin (Claude Code's JSON session_id), which a restart resumes",
          }),
      run(async (ctx, a) => {
        const t = currentTown();
        const agent = str(a, 'agent') ? parseAgent(t, str(a, 'agent')!) : selfAgent(t, 'gt prime');
        const prime = primeAgent(t, agent);
        if (a.hook) {
          try {
            recordSessionStart(t, agent, await hookInput(), process.env.GT_AGENT_RUNTIME || 'claude', prime.hooked?.bead.id);
          } catch (err) {
            // the prime matters more than the record: a restart without it only starts a fresh conversation
            console.error(`gt prime: the conversation id was not recorded: ${(err as Error).message}`);
          }
        }
        ctx.out(prime, renderPrime);
      }),
    )
    .command(
      'done',
      "From a polecat: check its molecule is finished, push its branch to the rig's remote, file a merge request for it, and tell the refinery and the witness",
      (c) =>
        c
          .option('push', { type: 'boolean', default: true, describe: "Push the branch to the rig's origin first (--no-push: file the merge request for this town's refinery only)" })
          .epilog('The session stays up afterwards (idle, with its hook) until the witness or gt down ends it.'),
      run((ctx, a) => {
        const t = currentTown();
        const r = finishWork(t, selfAgent(t, 'gt done'), { push: a.push !== false });
        const where = (x: typeof r): string => (x.pushed ? `pushed to ${x.pushed}` : 'not pushed');
        ctx.out(r, (x) =>
          x.requeued
            ? `Merge request ${x.merge_request} (${x.branch} at ${x.commit.slice(0, 12)}) was in rework: resubmitted unchanged, it is queued again; told ${x.notified.join(' and ')}`
            : x.existing
            ? `Merge request ${x.merge_request} was already filed for ${x.branch} at ${x.commit.slice(0, 12)} (${where(x)})`
            : `Filed merge request ${x.merge_request}: ${x.branch} (${x.commit.slice(0, 12)}, ${where(x)}) into ${x.target}; told ${x.notified.join(' and ')}`,
        );
      }),
    )
    .command(
      'nudge <agent> <text..>',
      "Type a line into an agent's session and make sure it was submitted (senders take turns)",
      (c) => c.positional('agent', { type: 'string', describe: AGENT_ARG }).positional('text', { type: 'string', array: true }),
      run((ctx, a) => {
        const t = currentTown();
        const agent = parseAgent(t, str(a, 'agent')!);
        const text = ((a.text as string[] | undefined) ?? []).join(' ');
        // Typed into the session as keys: newlines become spaces, but any other control character would act (C-c, Tab).
        assertNoControl(text.replace(/[\r\n]+/g, ' '), 'nudge text', 'line');
        requireTmux();
        ctx.out(nudgeAgent(t, agent, text), (x) => `Nudged ${x.agent}${x.attempts > 1 ? ` (Enter pressed ${x.attempts} times)` : ''}`);
      }),
    )
    .command(
      'handoff',
      "From an agent's session: leave a note for its successor and replace the session with a fresh one (the hook stays)",
      (c) => c.option('message', { alias: 'm', type: 'string', describe: 'The note (what you were doing, what is next)' }),
      run((ctx, a) => {
        const t = currentTown();
        const agent = selfAgent(t, 'gt handoff');
        // Not announced in the session: it is about to be replaced, and its successor reads the note when it primes.
        const note = sendMail(t, agent.address, agent.address, HANDOFF_SUBJECT, str(a, 'message') ?? 'No note was left.', { notify: false });
        const runtime = resolveRuntime(t, agent.role, cliTools(), process.env.GT_AGENT_RUNTIME); // the session's own
        ctx.out({ agent: agent.address, note: note.id, runtime: runtime.name }, (x) => `Handoff note ${x.note} left for ${x.agent}'s next session; restarting it`);
        // The session is replaced last: this process is one of those it ends.
        restartAgent(t, agent, runtime, cliTools());
      }),
    )
    .command('mail', 'Mail between agents and the overseer (message beads in the town store)', (m) =>
      m
        .command(
          'send <to>',
          'Send a message: to mayor, overseer, <rig>/witness, <rig>/refinery or <rig>/polecats/<name>',
          (c) => c.positional('to', { type: 'string' }).option('subject', { alias: 's', type: 'string', demandOption: true }).option('message', { alias: 'm', type: 'string', default: '', describe: 'The body' }),
          run((ctx, a) => {
            const r = sendMail(currentTown(), sender(), str(a, 'to')!, str(a, 'subject')!, str(a, 'message') ?? '');
            ctx.out(r, (x) => `Sent ${x.id} to ${x.to}${x.notified ? ' (its session was told)' : ''}`);
          }),
        )
        .command(
          'inbox',
          'Messages not yet acknowledged (* marks unread)',
          (c) => c.option('all', { type: 'boolean', describe: 'Acknowledged ones too' }).option('to', { type: 'string', describe: 'Whose inbox (default: this agent\'s, else the overseer\'s)' }),
          run((ctx, a) => {
            const items = inbox(currentTown(), str(a, 'to') ?? sender(), { all: Boolean(a.all) });
            ctx.out(items, (xs) => xs.map(mailLine).join('\n') || 'No mail.');
          }),
        )
        .command(
          'read <id>',
          'Show a message and mark it read (it stays in the inbox until acknowledged)',
          (c) => c.positional('id', { type: 'string' }),
          run((ctx, a) => {
            const m = readMail(currentTown(), sender(), str(a, 'id')!);
            ctx.out(m, (x) => `From: ${oneLine(x.from)}\nTo: ${oneLine(x.to)}\nSubject: ${oneLine(x.subject)}\nSent: ${oneLine(x.sent_at)}\n\n${textBlock(x.body)}`);
          }),
        )
        .command(
          'ack <id>',
          'Acknowledge a message: it is handled and leaves the inbox',
          (c) => c.positional('id', { type: 'string' }),
          run((ctx, a) => {
            const m = ackMail(currentTown(), sender(), str(a, 'id')!);
            ctx.out(m, (x) => `Acknowledged ${x.id}`);
          }),
        )
        .command(
          'reply <id>',
          'Reply to a message\'s sender',
          (c) => c.positional('id', { type: 'string' }).option('message', { alias: 'm', type: 'string', demandOption: true }),
          run((ctx, a) => {
            const r = replyMail(currentTown(), sender(), str(a, 'id')!, str(a, 'message')!);
            ctx.out(r, (x) => `Sent ${x.id} to ${x.to}`);
          }),
        )
        .demandCommand(1, 'name a mail command: send, inbox, read, ack or reply'),
    )
    .command(
      'scripted-agent',
      false,
      (c) => c,
      run(async () => {
        const t = currentTown();
        const agent = selfAgent(t, 'the scripted agent');
        await new ScriptedAgent(t, agent, (line) => console.log(line)).run();
      }),
    );
}
