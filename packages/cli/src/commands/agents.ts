// gt up, gt down, gt agents, gt peek, gt attach: the town's agent sessions.
import type { Argv } from 'yargs';
import { BeadStore, BeadsError } from '@gastown/beads';
import {
  agentFor,
  attachSession,
  capturePane,
  hookedWork,
  hookRuntime,
  parseAgent,
  requireSession,
  requireTmux,
  resolveRuntime,
  rigNames,
  rigPolecats,
  sessionState,
  startAgent,
  stopAgents,
  townAgents,
  townSessions,
  townSocket,
  type Agent,
  type Town,
} from '@gastown/gastown';
import { str } from '../args.js';
import { AGENT_ARG, cliTools, currentTown } from '../here.js';
import type { Run } from '../run.js';

/** The standing agents: the mayor (for the whole town), and a witness and a refinery per rig. */
function standing(town: Town, rig?: string): Agent[] {
  return [...(rig ? [] : [agentFor(town, 'mayor')]), ...rigNames(town, rig).flatMap((r) => [agentFor(town, 'witness', r), agentFor(town, 'refinery', r)])];
}

/** Polecats with work on their hook (after gt down, a crash or a reboot), each with the runtime it was slung with. */
function hookedPolecats(town: Town, rig?: string): { agent: Agent; previous?: string }[] {
  return rigNames(town, rig).flatMap((r) => {
    const polecats = rigPolecats(town, r);
    if (!polecats.length) return [];
    const store = BeadStore.open(polecats[0]!.store);
    return polecats.flatMap((agent) => {
      const work = hookedWork(agent, store);
      return work ? [{ agent, previous: hookRuntime(work.bead) }] : [];
    });
  });
}

export interface AgentRow {
  address: string;
  role: string;
  rig: string | null;
  session: string;
  state: 'running' | 'dead' | 'absent';
  pid: number | null;
  hooked: string | null;
  molecule: string | null;
  step: string | null;
  /** Steps of the molecule closed, of all: "2/4". */
  progress: string | null;
  idle_s: number | null;
}

export function agentRows(town: Town, rig?: string): AgentRow[] {
  const sessions = townSessions(town);
  const now = Date.now() / 1000;
  const stores = new Map<string, BeadStore>(); // a rig's agents share its store: open it once
  return townAgents(town, rig).map((agent) => {
    const info = sessions.get(agent.session);
    if (!stores.has(agent.store)) stores.set(agent.store, BeadStore.open(agent.store));
    const work = hookedWork(agent, stores.get(agent.store));
    return {
      address: agent.address,
      role: agent.role,
      rig: agent.rig ?? null,
      session: agent.session,
      state: sessionState(info),
      pid: info && !info.dead ? info.pid : null,
      hooked: work?.bead.id ?? null,
      molecule: work?.molecule?.id ?? null,
      step: work?.step ? `${work.step.step} (${work.step.id})` : null,
      progress: work?.molecule ? `${work.molecule.done}/${work.molecule.total}` : null,
      idle_s: info ? Math.max(0, Math.round(now - info.activity)) : null,
    };
  });
}

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
      "Start the town's standing agents (the mayor; a witness and a refinery per rig), or one rig's, and resume every polecat with work on its hook; running ones are left alone",
      (c) =>
        c
          .positional('rig', { type: 'string', describe: 'Only this rig (its witness, refinery and hooked polecats)' })
          .option('runtime', { type: 'string', describe: 'Runtime for every agent started (else GT_RUNTIME; a polecat: else the one it was slung with; else town.json, else claude)' }),
      run((ctx, a) => {
        requireTmux();
        const town = currentTown();
        const tools = cliTools();
        const rig = str(a, 'rig');
        const agents: { agent: Agent; previous?: string }[] = [...standing(town, rig).map((agent) => ({ agent })), ...hookedPolecats(town, rig)];
        // Every runtime is checked before any session starts: nothing half-started.
        const runtimes = agents.map(({ agent, previous }) => resolveRuntime(town, agent.role, tools, str(a, 'runtime'), previous));
        const results = agents.map(({ agent }, i) => ({ address: agent.address, session: agent.session, runtime: runtimes[i]!.name, result: startAgent(town, agent, runtimes[i]!, tools) }));
        ctx.out({ socket: townSocket(town), agents: results }, (x) => x.agents.map((r) => `${r.address.padEnd(28)} ${r.result} (${r.runtime}, session ${r.session})`).join('\n'));
      }),
    )
    .command(
      'down [rig]',
      "Stop the town's agent sessions (or one rig's) and every process they started; worktrees are kept",
      (c) => c.positional('rig', { type: 'string', describe: 'Only this rig (its witness, refinery and polecats)' }),
      run((ctx, a) => {
        const town = currentTown();
        const rig = str(a, 'rig');
        const stopped = stopAgents(town, rig ? townAgents(town, rig) : undefined); // townAgents checks the rig
        ctx.out({ stopped }, (x) => (x.stopped.length ? `Stopped ${x.stopped.length} session(s): ${x.stopped.join(', ')}` : 'No session was running.'));
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
