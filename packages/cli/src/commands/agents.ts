// gt up, gt down, gt agents, gt peek, gt attach: the town's agent sessions.
import type { Argv } from 'yargs';
import { BeadsError } from '@gastown/beads';
import {
  agentRows,
  attachSession,
  capturePane,
  downRig,
  holdServices,
  launchAgent,
  markTownDown,
  markTownUp,
  parseAgent,
  requireSession,
  requireTmux,
  sessionState,
  startDaemon,
  stopAgents,
  stopDaemon,
  syncStandingServices,
  townSocket,
  upPlan,
  type AgentRow,
} from '@gastown/gastown';
import { str } from '../args.js';
import { AGENT_ARG, cliTools, currentTown, sender } from '../here.js';
import type { Run } from '../run.js';

/** What an agent has on its hook and how far it is: "hooked al-x at test (al-y), 2/4 steps closed". */
function workText(r: AgentRow): string {
  if (!r.hooked) return '';
  if (!r.progress) return `hooked ${r.hooked}`;
  return r.step ? `hooked ${r.hooked} at ${r.step}, ${r.progress} steps closed` : `hooked ${r.hooked}, all ${r.progress.split('/')[1]} steps closed`;
}

const idle = (s: number | null): string => (s === null ? '-' : s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`);

export function registerAgentCommands(y: Argv, run: Run): Argv {
  return y
    .command(
      'up [rig]',
      "Start the town's standing agents (the mayor; a witness and a refinery per rig), or one rig's, and resume every polecat with work on its hook; running ones are left alone. Then the daemon, which keeps them running",
      (c) =>
        c
          .positional('rig', { type: 'string', describe: 'Only this rig (its witness, refinery and hooked polecats); the daemon is started too' })
          .option('runtime', { type: 'string', describe: 'Runtime for every agent started (else GT_RUNTIME; a polecat: else the one it was slung with; else town.json, else claude)' })
          .option('daemon', { type: 'boolean', default: true, describe: 'Start the daemon after the agents (--no-daemon: do not)' }),
      run((ctx, a) => {
        requireTmux();
        const town = currentTown();
        const tools = cliTools();
        const rig = str(a, 'rig');
        const runtime = str(a, 'runtime');
        const plan = upPlan(town, { rig, tools, runtime }); // every runtime checked: nothing half-started
        syncStandingServices(town, sender());
        const results = plan.map(({ agent }) => {
          const r = launchAgent(town, agent, { tools, ...(runtime !== undefined ? { runtime } : {}) });
          return { address: r.address, session: r.session, runtime: r.runtime, result: r.result, ...(r.resumed ? { resumed: r.resumed } : {}) };
        });
        // what gt down RIG held comes back: released once started here, so a running daemon does not start the
        // same sessions at the same moment
        holdServices(town, sender(), false, rig);
        // the mark just before the daemon's start, not before the agents': else an agent's first look (the mayor's,
        // a witness's) finds the town marked up with no daemon yet and starts it, racing this start
        if (a.daemon !== false) markTownUp(town, sender());
        const daemon = a.daemon === false ? null : startDaemon(town, { tools });
        ctx.out({ socket: townSocket(town), agents: results, daemon }, (x) =>
          [
            ...x.agents.map((r) => `${r.address.padEnd(28)} ${r.result} (${r.runtime}, session ${r.session})`),
            x.daemon ? `${'daemon'.padEnd(28)} ${x.daemon.result} (pid ${x.daemon.pid})` : `${'daemon'.padEnd(28)} not started (--no-daemon)`,
          ].join('\n'),
        );
      }),
    )
    .command(
      'down [rig]',
      "Stop the town: its up mark first (so no witness starts the daemon again), then the daemon (waiting until it is gone, so nothing restarts what is stopped), then every agent session and every process they started; worktrees are kept. With RIG, only that rig's sessions, and the daemon is left running: the rig is held first (the daemon, its witness patrol and dispatch leave it alone until gt up), then its witness is stopped, then its refinery, polecats and command services",
      (c) => c.positional('rig', { type: 'string', describe: "Only this rig (its witness, refinery, polecats and command services); the daemon keeps running" }),
      run((ctx, a) => {
        const town = currentTown();
        const rig = str(a, 'rig');
        if (rig) {
          const { stopped } = downRig(town, sender(), rig); // held first, its witness stopped before its polecats
          ctx.out({ daemon: null, stopped }, (x) => (x.stopped.length ? `Stopped ${x.stopped.length} session(s): ${x.stopped.join(', ')}` : 'No session was running.'));
          return;
        }
        markTownDown(town); // first: no witness starts the daemon again while it is stopped (Gas Town #299)
        const daemon = stopDaemon(town);
        const stopped = stopAgents(town);
        ctx.out({ daemon, stopped }, (x) =>
          [
            ...(x.daemon.result === 'not_running' ? [] : [`Daemon ${x.daemon.result} (pid ${x.daemon.pid}).`]),
            x.stopped.length ? `Stopped ${x.stopped.length} session(s): ${x.stopped.join(', ')}` : 'No session was running.',
          ].join('\n'),
        );
      }),
    )
    .command(
      'agents',
      'Every agent of the town: role, rig, session state (running, dead, absent), hooked bead, current step, idle time',
      (c) => c.option('rig', { type: 'string', describe: 'Only this rig' }),
      run((ctx, a) => {
        const town = currentTown();
        const rows = agentRows(town, str(a, 'rig'));
        ctx.out(rows, (rs) =>
          rs.map((r) => `${r.address.padEnd(28)} ${r.state.padEnd(8)} idle ${idle(r.idle_s).padEnd(5)} ${workText(r)}`.trimEnd()).join('\n'),
        );
      }),
    )
    .command(
      'peek <agent>',
      "Print the last lines of an agent's session",
      (c) => c.positional('agent', { type: 'string', describe: AGENT_ARG }).option('lines', { alias: 'n', type: 'string', default: '40', describe: 'How many lines' }),
      run((ctx, a) => {
        const town = currentTown();
        const agent = parseAgent(town, str(a, 'agent')!);
        const lines = Number(str(a, 'lines'));
        if (!Number.isInteger(lines) || lines < 1) throw new BeadsError('invalid_input', `invalid --lines ${JSON.stringify(str(a, 'lines'))}: give a whole number of lines, 1 or more`);
        requireTmux();
        const state = sessionState(requireSession(town, agent));
        const text = capturePane(townSocket(town), agent.session, lines);
        ctx.out({ agent: agent.address, state, text }, (x) => x.text);
      }),
    )
    .command(
      'attach <agent>',
      "Attach this terminal to an agent's session (detach with C-b d)",
      (c) => c.positional('agent', { type: 'string', describe: AGENT_ARG }),
      run((_ctx, a) => {
        const town = currentTown();
        const agent = parseAgent(town, str(a, 'agent')!);
        requireTmux();
        requireSession(town, agent);
        if (!process.stdin.isTTY || !process.stdout.isTTY) {
          throw new BeadsError('invalid_input', `gt attach needs a terminal; to read ${agent.address}'s screen from a script use gt peek ${agent.address}`);
        }
        process.exitCode = attachSession(townSocket(town), agent.session);
      }),
    );
}
